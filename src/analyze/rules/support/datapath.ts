/**
 * Shared lookups for the datapath rules: per-node route, link, neighbour, FDB and iptables
 * indexes (built once per node and cached on the parsed object), the CNI's per-node facts from
 * node annotations, kube-proxy's mode, and the finding shape every rule returns.
 */

import {
  type CniAdapter,
  cniOfNode,
  displayNames,
  encapsulationOfDevice,
  OFFLINE_CHECKED,
  type OverlayPeer,
  type OverlayPeers,
  offlineCheckedAdapter,
} from '../../../cni/index.ts';
import { IANA_VXLAN_PORT, VXLAN_PORTS } from '../../../cni/vxlan.ts';
import { NODE_FILES, type NodeFileKey, nodeFile } from '../../../collect/bundle/layout.ts';
import type { IptablesDump, IptablesTable, Link, NodeDatapath, Route } from '../../../core/datapath-types.ts';
import type {
  CauseClaim,
  Evidence,
  Finding,
  Layer,
  Severity,
  Snapshot,
  Subject,
  SymptomClaim,
} from '../../../core/model.ts';
import { formatRoute } from '../../../datapath/format.ts';
import { chainRules } from '../../../datapath/iptables-chains.ts';
import { causeFinding, type FindingInput, infoFinding, symptomFinding } from '../../finding.ts';
import type { Applicability, NodeSkip, RuleContext } from '../../rule.ts';

export function isMainRoute(r: Route): boolean {
  return r.table === undefined || r.table === 'main' || r.table === '254';
}

const linkIdx = new WeakMap<Link[], Map<string, Link>>();
export function linksByName(links: Link[]): Map<string, Link> {
  let m = linkIdx.get(links);
  if (!m) {
    m = new Map(links.map((l) => [l.ifname, l]));
    linkIdx.set(links, m);
  }
  return m;
}

/** Renders a route the way `ip route` prints it; rules look at one table, so it is not named. */
export function showRoute(r: Route): string {
  return formatRoute(r, { where: false });
}

export type { OverlayPeer, OverlayPeers };

const peersCache = new WeakMap<Snapshot, OverlayPeers>();
/**
 * Every node as the overlay peer the cluster's CNI programs on the others, read by the adapter
 * whose datapath the offline rules judge (the detected one, or the default when the CNI is
 * unknown). Empty when no adapter records peers.
 */
export function overlayPeers(ctx: RuleContext): OverlayPeers {
  let fc = peersCache.get(ctx.snapshot);
  if (fc) return fc;
  const adapter = offlineCheckedAdapter(ctx.index.cniAdapter) ?? OFFLINE_CHECKED[0];
  fc = adapter?.datapath.peers?.(ctx.snapshot, ctx.index.podCidrByNode, ctx.index.internalIpByNode) ?? {
    backendType: undefined,
    network: undefined,
    nodes: new Map(),
    withCidr: [],
    byCidr: new Map(),
    byGateway: new Map(),
    byMac: new Map(),
    anyAnnotated: false,
  };
  peersCache.set(ctx.snapshot, fc);
  return fc;
}

/** Whether a node is expected to have programmed `peer`: annotated peers once any node is annotated. */
export function expectedPeer(fc: OverlayPeers, self: string, peer: OverlayPeer): boolean {
  return peer.name !== self && peer.podCIDR !== undefined && (!fc.anyAnnotated || peer.annotated);
}

/**
 * A node's VXLAN overlay ports: those its VXLAN devices use, else both well-known ports; empty
 * when links were collected and the node has no VXLAN device (no overlay to block).
 */
export function overlayPorts(dp: NodeDatapath): number[] {
  if (!dp.links) return [...VXLAN_PORTS];
  const vx = dp.links.filter((l) => l.kind === 'vxlan');
  const ports = new Set<number>();
  for (const l of vx) ports.add(l.vxlan?.port ?? encapsulationOfDevice(l.ifname)?.port ?? IANA_VXLAN_PORT);
  return [...ports];
}

export type ProxyMode = 'iptables' | 'ipvs' | 'nftables' | 'kernelspace' | 'none';

const proxyModeCache = new WeakMap<Snapshot, { mode: ProxyMode; source: string }>();
/**
 * kube-proxy's mode from its ConfigMap (`mode:` in config.conf) or a `--proxy-mode` flag; an
 * empty mode means iptables on Linux. `none` when no kube-proxy pod exists.
 */
export function kubeProxyMode(ctx: RuleContext): { mode: ProxyMode; source: string } {
  let r = proxyModeCache.get(ctx.snapshot);
  if (r) return r;
  if (ctx.index.kubeProxyPods.length === 0) {
    r = { mode: 'none', source: 'no kube-proxy pods' };
  } else {
    r = { mode: 'iptables', source: 'kube-proxy default mode' };
    const cm = ctx.snapshot.cluster.configMaps.find(
      (c) => c.metadata.namespace === 'kube-system' && c.metadata.name === 'kube-proxy',
    );
    const conf = cm?.data?.['config.conf'];
    const m = conf ? /^mode:\s*["']?([a-z]*)["']?\s*$/m.exec(conf) : null;
    if (m?.[1]) r = { mode: m[1] as ProxyMode, source: 'configmap kube-system/kube-proxy config.conf' };
    for (const p of ctx.index.kubeProxyPods) {
      for (const c of p.spec.containers) {
        for (const a of [...(c.command ?? []), ...(c.args ?? [])]) {
          const f = /^--proxy-mode=(\w+)/.exec(a);
          if (f?.[1]) r = { mode: f[1] as ProxyMode, source: `pod ${p.metadata.name} ${a}` };
        }
      }
    }
  }
  proxyModeCache.set(ctx.snapshot, r);
  return r;
}

/** The iptables dumps a node has, each labelled with where it came from. */
export function iptablesDumps(dp: NodeDatapath): { key: NodeFileKey; label: string; dump: IptablesDump }[] {
  const out: { key: NodeFileKey; label: string; dump: IptablesDump }[] = [];
  if (dp.iptablesNft) out.push({ key: 'iptablesNft', label: 'iptables-nft', dump: dp.iptablesNft });
  if (dp.iptablesLegacy)
    out.push({ key: 'iptablesLegacy', label: 'iptables-legacy', dump: dp.iptablesLegacy });
  return out;
}

export { chainRules };

/** Chains reachable from `roots` by -j/-g jumps, roots included. */
export function reachableChains(t: IptablesTable, roots: string[]): Set<string> {
  const byChain = chainRules(t);
  const seen = new Set<string>();
  const todo = [...roots];
  while (todo.length > 0) {
    const c = todo.pop()!;
    if (seen.has(c)) continue;
    seen.add(c);
    for (const r of byChain.get(c) ?? []) {
      const target = r.target ?? parseSpec(r.spec).target;
      if (target && byChain.has(target) && !seen.has(target)) todo.push(target);
    }
  }
  return seen;
}

/**
 * Whether `target` is reached from `root` by -j/-g jumps. Stops at the first path found, so the
 * usual answer (the root's first rule jumps there) costs one rule, not a walk of every chain the
 * root reaches (15,000 on a node with 5,000 Services).
 */
export function reaches(t: IptablesTable, root: string, target: string): boolean {
  const byChain = chainRules(t);
  const seen = new Set<string>();
  const todo = [root];
  while (todo.length > 0) {
    const c = todo.pop()!;
    if (c === target) return true;
    if (seen.has(c)) continue;
    seen.add(c);
    const rules = byChain.get(c) ?? [];
    // Pushed in reverse so the chain's first jump is tried first.
    for (let i = rules.length - 1; i >= 0; i--) {
      const r = rules[i]!;
      const next = r.target ?? parseSpec(r.spec).target;
      if (next && (next === target || byChain.has(next)) && !seen.has(next)) todo.push(next);
    }
  }
  return false;
}

/** The match fields of one iptables-save rule that the rules read, with their negations. */
export interface SpecFacts {
  proto: string | undefined;
  protoNeg: boolean;
  source: string | undefined;
  sourceNeg: boolean;
  destination: string | undefined;
  destinationNeg: boolean;
  /** Destination ports (`8472`, `4789:4790`), from --dport or multiport --dports. */
  dports: string[] | undefined;
  dportNeg: boolean;
  /** Match modules (`-m mark`, `-m set`, ...). */
  modules: string[];
  /** `! --mark`: the rule matches unmarked packets. */
  markNeg: boolean;
  target: string | undefined;
}

const specCache = new Map<string, SpecFacts>();
const TOKEN = /"(?:[^"\\]|\\.)*"|\S+/g;

/** Parses an iptables-save rule body (`-s 10.244.0.0/16 ! -d 224.0.0.0/4 -j MASQUERADE`). */
export function parseSpec(text: string): SpecFacts {
  const hit = specCache.get(text);
  if (hit) return hit;
  // The cache outlives the node: keep a copy of the spec, not a slice of the node's whole
  // iptables-save text (V8 substrings pin their parent; across 5,000 nodes that is gigabytes).
  const spec = Buffer.from(text, 'utf8').toString('utf8');
  const toks = spec.match(TOKEN) ?? [];
  const f: SpecFacts = {
    proto: undefined,
    protoNeg: false,
    source: undefined,
    sourceNeg: false,
    destination: undefined,
    destinationNeg: false,
    dports: undefined,
    dportNeg: false,
    modules: [],
    markNeg: false,
    target: undefined,
  };
  let neg = false;
  for (let i = 0; i < toks.length; i++) {
    const t = toks[i]!;
    const next = toks[i + 1];
    if (t === '!') {
      neg = true;
      continue;
    }
    switch (t) {
      case '-A':
        i++;
        break;
      case '-p':
      case '--protocol':
        f.proto = next?.toLowerCase();
        f.protoNeg = neg;
        i++;
        break;
      case '-s':
      case '--source':
        f.source = next;
        f.sourceNeg = neg;
        i++;
        break;
      case '-d':
      case '--destination':
        f.destination = next;
        f.destinationNeg = neg;
        i++;
        break;
      case '--dport':
      case '--destination-port':
      case '--dports':
      case '--destination-ports':
        f.dports = (next ?? '').split(',');
        f.dportNeg = neg;
        i++;
        break;
      case '--mark':
        f.markNeg = neg;
        i++;
        break;
      case '-m':
      case '--match':
        if (next) f.modules.push(next);
        i++;
        break;
      case '-j':
      case '--jump':
      case '-g':
      case '--goto':
        f.target = next;
        i++;
        break;
    }
    neg = false;
  }
  if (specCache.size > 200_000) specCache.clear();
  specCache.set(spec, f);
  return f;
}

/** Whether a list of --dport values (`8472`, `8000:9000`) covers a port. */
export function portsCover(dports: string[], port: number): boolean {
  return dports.some((d) => {
    const [lo, hi] = d.split(':');
    const a = Number(lo);
    const b = hi === undefined ? a : Number(hi);
    return port >= a && port <= b;
  });
}

/** Source path of a node file in the bundle, for evidence. */
export function nodeSource(node: string, key: NodeFileKey): string {
  return nodeFile(node, key);
}

/**
 * Per-analysis state for a rule's phases (e.g. what `runNode` saw, for `finish`), keyed on the
 * context so that concurrent or repeated analyses never share it.
 */
export function perAnalysis<T>(make: (ctx: RuleContext) => T): (ctx: RuleContext) => T {
  const cache = new WeakMap<RuleContext, T>();
  return (ctx) => {
    let v = cache.get(ctx);
    if (v === undefined) {
      v = make(ctx);
      cache.set(ctx, v);
    }
    return v;
  };
}

/**
 * Compares node names in cluster order (then by name for nodes the cluster does not list), so
 * findings that wait for `finish` come out the same however the nodes were streamed.
 */
export const nodeOrder = perAnalysis((ctx): ((a: string, b: string) => number) => {
  const rank = new Map<string, number>();
  for (const [i, n] of ctx.index.nodeNames.entries()) rank.set(n, i);
  return (a, b) => {
    const ra = rank.get(a) ?? Number.MAX_SAFE_INTEGER;
    const rb = rank.get(b) ?? Number.MAX_SAFE_INTEGER;
    return ra - rb || (a < b ? -1 : a > b ? 1 : 0);
  };
});

/** Applicability: some node's datapath was collected (per-part checks happen per node). */
export function needsNodes(ctx: RuleContext): Applicability {
  return ctx.collectedNodes.length > 0
    ? { applies: true }
    : { applies: false, reason: 'no node datapath was collected' };
}

function partName(part: keyof NodeDatapath): string {
  return part in NODE_FILES ? NODE_FILES[part as NodeFileKey] : part;
}

/** Node applicability: the first of `parts` this node lacks, as a skip. */
export function lacksPart(dp: NodeDatapath, ...parts: (keyof NodeDatapath)[]): NodeSkip | undefined {
  for (const part of parts) if (dp[part] === undefined) return { skipped: `${partName(part)} not collected` };
  return undefined;
}

/** Node applicability: the node's iptables rules (either backend) were collected. */
export function lacksIptables(dp: NodeDatapath): NodeSkip | undefined {
  return dp.iptablesNft || dp.iptablesLegacy ? undefined : { skipped: 'iptables not collected' };
}

/**
 * Applicability: the cluster runs a CNI whose node datapath the offline rules judge (its adapter
 * says `checkedOffline`). An unknown CNI is let through here, and then each node is checked
 * for such a datapath by {@link notCheckedCniNode}.
 */
export function needsCheckedCni(ctx: RuleContext): Applicability {
  if (offlineCheckedAdapter(ctx.index.cniAdapter)) return { applies: true };
  return {
    applies: false,
    reason: `this rule checks ${displayNames(OFFLINE_CHECKED)}'s datapath; the cluster runs ${ctx.index.cni}`,
  };
}

/** The adapter the offline rules judge an unknown CNI's nodes by; rules' static text names its devices. */
export const DEFAULT_CHECKED_CNI: CniAdapter = OFFLINE_CHECKED[0]!;

/**
 * The adapter whose datapath a rule gated by {@link needsCheckedCni} judges: the cluster's CNI,
 * or the default checked one when the CNI is unknown.
 */
export function checkedCni(ctx: RuleContext): CniAdapter {
  return offlineCheckedAdapter(ctx.index.cniAdapter) ?? DEFAULT_CHECKED_CNI;
}

/** Node applicability when the cluster's CNI is unknown: the node must show a checked CNI's datapath. */
export function notCheckedCniNode(ctx: RuleContext, dp: NodeDatapath): NodeSkip | undefined {
  if (ctx.index.cni !== 'unknown') return undefined;
  return cniOfNode(dp, OFFLINE_CHECKED).known
    ? undefined
    : { skipped: `the CNI is unknown and the node shows no ${displayNames(OFFLINE_CHECKED)} datapath` };
}

/** Combines applicability checks; the first skip wins. */
export function allOf(...checks: Applicability[]): Applicability {
  return checks.find((c) => !c.applies) ?? { applies: true };
}

/** `a, b, c and 4 more`: keeps evidence readable on large clusters. */
export function listSome(items: string[], max = 8): string {
  if (items.length <= max) return items.join(', ');
  return `${items.slice(0, max).join(', ')} and ${items.length - max} more`;
}

/** Builds a cause, symptom or plain finding through the shared finding helpers (stable ids). */
export function makeFinding(
  rule: { id: string; layer: Layer },
  subject: Subject,
  f: {
    severity: Severity;
    summary: string;
    evidence: Evidence[];
    cause?: CauseClaim;
    symptom?: SymptomClaim;
    detail?: string;
    nextCommands?: string[];
  },
): Finding {
  const input: FindingInput = { subject, severity: f.severity, summary: f.summary, evidence: f.evidence };
  if (f.detail) input.detail = f.detail;
  if (f.nextCommands) input.nextCommands = f.nextCommands;
  if (f.cause) return causeFinding(rule, input, f.cause);
  if (f.symptom) return symptomFinding(rule, input, f.symptom);
  return infoFinding(rule, input);
}

export function nodeSubject(name: string): Subject {
  return { kind: 'Node', name };
}
