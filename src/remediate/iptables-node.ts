/**
 * iptables on a node for the repair steps: reading a backend's rules, naming one rule by its
 * table, chain and spec (with the position it had, for people), and removing rules so that
 * rollback can put each back where it stood. Removal and restore work by identity from fresh
 * reads (iptables-rule-edit.ts): kube-proxy and the policy agents insert rules at the top of the
 * built-in chains, and some restore whole tables, at any time.
 */
import type { IptablesDump, IptablesTable } from '../core/datapath-types.ts';
import { chainRules } from '../datapath/iptables-chains.ts';
import { parseIptablesSave } from '../datapath/parsers/iptables-save.ts';
import {
  type Backend,
  deleteScript,
  type RemovalPolicy,
  type RuleIdentity,
  type RuleRemoval,
  removeRulesByIdentity,
} from './iptables-rule-edit.ts';
import type { AppliedRecord, Check, NodeRun, RepairExec, UndoAction } from './step.ts';
import { errText, runUndo, sh } from './step-kit.ts';

export { type Backend, deleteScript };

/** The two iptables backends a node can carry rules in. */
export const BACKENDS: readonly Backend[] = ['nft', 'legacy'];

/** The snapshot's dump of each backend (NodeDatapath field names). */
export const BACKEND_KEY = { nft: 'iptablesNft', legacy: 'iptablesLegacy' } as const;

export function iptablesBin(b: Backend): string {
  return `iptables-${b}`;
}

/**
 * Per-Service and per-endpoint chains of kube-proxy: the bulk of a large cluster's nat table,
 * never reached from the chains these steps read. Dropping them keeps a node's dump within
 * what the node runner reads back from its pod log.
 */
const BULK_CHAINS = "'^(-A |:)KUBE-(SVC|SEP)-'";

/** The shell command that prints a backend's rules (every table that exists). */
export function readRulesScript(b: Backend): string {
  // Split in two so a failing save is not hidden by grep's exit code (no pipefail in busybox sh
  // everywhere).
  return `r=$(iptables-${b}-save) || exit $?; printf '%s\\n' "$r" | grep -vE ${BULK_CHAINS}`;
}

/** The shell command that prints a backend's whole ruleset as it is (for a backup). */
export function saveScript(b: Backend): string {
  return `iptables-${b}-save`;
}

function failed(what: string, node: string, r: NodeRun): Error {
  return new Error(`${what} on ${node} exited ${r.exitCode}: ${r.stdout.trim().slice(0, 400)}`);
}

/** Reads and parses a backend's rules on a node; throws when the command or the parse fails. */
export async function readRules(exec: RepairExec, node: string, b: Backend): Promise<IptablesDump> {
  const r = await exec.nodes.run(node, sh(readRulesScript(b)), { hostMount: false });
  if (r.exitCode !== 0) throw failed(`iptables-${b}-save`, node, r);
  try {
    return parseIptablesSave(r.stdout);
  } catch (err) {
    throw new Error(`iptables-${b}-save on ${node} gave output netdoctor cannot read: ${errText(err)}`);
  }
}

/** One rule on one node, what it says, and where it sat when read (1-based, for people). */
export interface RuleRef extends RuleIdentity {
  position: number;
}

/** The rule the way iptables-save prints it, with where it lives. */
export function describeRule(r: RuleRef): string {
  return `iptables-${r.backend} -t ${r.table}: -A ${r.chain} ${r.spec} (position ${r.position})`;
}

/** The 1-based position of each rule in `picks` (chain + spec), duplicates in chain order. */
export function positionsIn(
  t: IptablesTable,
  picks: { chain: string; spec: string }[],
): { chain: string; spec: string; position: number }[] {
  const byChain = chainRules(t);
  const taken = new Set<string>();
  const out: { chain: string; spec: string; position: number }[] = [];
  for (const p of picks) {
    const rules = byChain.get(p.chain) ?? [];
    const i = rules.findIndex((r, k) => r.spec === p.spec && !taken.has(`${p.chain}#${k}`));
    if (i < 0) continue;
    taken.add(`${p.chain}#${i}`);
    out.push({ chain: p.chain, spec: p.spec, position: i + 1 });
  }
  return out;
}

/**
 * Removes the rules by identity, from fresh reads, until a re-read shows them gone (see
 * removeRulesByIdentity); records a restore for each. When it cannot, what it removed is put
 * back before it throws: an apply that throws leaves no record for the executor to roll back.
 */
export function removeRules(
  exec: RepairExec,
  refs: RuleIdentity[],
  why: string,
  policy?: RemovalPolicy,
): Promise<RuleRemoval> {
  return removeRulesByIdentity(exec, refs, why, readRules, policy);
}

/**
 * Puts back what a failing apply already changed; returns how that went, for the error the
 * apply throws next.
 */
export async function undoPartial(exec: RepairExec, done: { undo: UndoAction[] }): Promise<string> {
  if (done.undo.length === 0) return 'nothing had been changed';
  const partial: AppliedRecord = { status: 'applied', step: '', actions: [], undo: done.undo, facts: {} };
  const r = await runUndo(exec, partial);
  return r.status === 'failed'
    ? `PUTTING BACK what was already changed FAILED: ${r.error}`
    : `what was already changed was put back (${r.detail})`;
}

/** Preconditions: every backend a step will read on every target node can be read now. */
export function readableRulesChecks(targets: { node: string; backends: Backend[] }[], what: string): Check[] {
  return targets.flatMap((t) =>
    t.backends.map((b) => ({
      what: `can read the iptables-${b} ${what} of ${t.node}`,
      async run(exec: RepairExec) {
        try {
          await readRules(exec, t.node, b);
          return { status: 'ok' as const };
        } catch (err) {
          return { status: 'failed' as const, reason: errText(err) };
        }
      },
    })),
  );
}
