/**
 * What every way onto a node (agent pod, local, SSH, talosctl) returns, and the shared step from
 * a node script's output to bundle files and gaps.
 */
import type { Gap, GapReason } from '../../core/model.ts';
import type { NodeFileKey } from '../bundle/layout.ts';
import type { BundleNodeInput } from '../bundle/types.ts';
import { NODE_COMMANDS, parseNodeStream } from './node-script.ts';

/** One node's outcome: its files (perhaps with gaps for some parts), or why nothing came back. */
export type NodeOutcome =
  | { node: string; status: 'collected'; input: BundleNodeInput; gaps: Gap[] }
  | { node: string; status: 'failed'; gap: Gap };

/** All nodes' outcomes, flattened into what the bundle takes. */
export interface NodeCollection {
  nodes: Record<string, BundleNodeInput>;
  gaps: Gap[];
  /** API calls made (agent pods only), for the benchmark. */
  apiCalls: number;
}

export function nodeGap(node: string, collector: string, reason: GapReason, detail?: string): Gap {
  return { collector, reason, node, ...(detail === undefined ? {} : { detail }) };
}

/** Flattens per-node outcomes. */
export function combineOutcomes(outcomes: readonly NodeOutcome[], apiCalls = 0): NodeCollection {
  const nodes: Record<string, BundleNodeInput> = {};
  const gaps: Gap[] = [];
  for (const o of outcomes) {
    if (o.status === 'collected') {
      nodes[o.node] = o.input;
      gaps.push(...o.gaps);
    } else {
      gaps.push(o.gap);
    }
  }
  return { nodes, gaps, apiCalls };
}

/**
 * A node script's output as bundle files: each part that ran becomes its file; a part whose
 * command failed becomes a gap with the command's stderr; a stream cut short is a gap too, and
 * the parts it never reached are gaps of their own, so nothing missing reads as "empty".
 * `via` names the way in (`agent`, `local`, `ssh`) for the gap's collector.
 */
export function nodeOutcomeFromStream(node: string, via: string, output: string): NodeOutcome {
  const stream = parseNodeStream(output);
  const files: BundleNodeInput['files'] = {};
  const states: NonNullable<BundleNodeInput['states']> = {};
  const gaps: Gap[] = [];
  for (const key of Object.keys(NODE_COMMANDS) as (keyof typeof NODE_COMMANDS)[]) {
    const part = stream.parts[key];
    const collector = `node/${via}/${key}`;
    if (part === undefined) {
      if (!stream.complete)
        gaps.push(nodeGap(node, collector, 'not-collected', 'the node stream ended early'));
      continue;
    }
    if (part.status === 'ok') files[key as NodeFileKey] = part.text;
    else if (part.status === 'absent') states[key] = { state: 'absent' };
    else
      gaps.push(
        nodeGap(node, collector, 'error', `exit ${part.exitCode}${part.stderr ? `: ${part.stderr}` : ''}`),
      );
  }
  if (!stream.complete) {
    gaps.push(nodeGap(node, `node/${via}`, 'error', 'the node script output stopped before its end marker'));
  }
  if (Object.keys(files).length === 0 && stream.cniFiles.length === 0 && stream.cniDir === undefined) {
    const why = output.trim() === '' ? 'no output' : firstLines(output);
    return {
      node,
      status: 'failed',
      gap: nodeGap(node, `node/${via}`, 'error', `nothing collected: ${why}`),
    };
  }
  // The directory exists but holds no config: collected, and empty (a fact the CNI rule reads).
  if (stream.cniDir === 'absent') states.cniConfigs = { state: 'absent' };
  else if (stream.cniDir === 'present') states.cniConfigs = { state: 'collected' };
  return { node, status: 'collected', input: { files, cniFiles: stream.cniFiles, states }, gaps };
}

function firstLines(s: string): string {
  const t = s.trim().split('\n').slice(0, 3).join(' | ');
  return t.length > 300 ? `${t.slice(0, 300)}…` : t;
}
