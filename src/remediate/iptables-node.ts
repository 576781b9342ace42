/**
 * iptables on a node for the repair steps: reading a backend's rules, naming one rule by its
 * table, chain and position, and deleting rules so that rollback can put each back where it
 * was. Rules are deleted by their full spec, never by number: kube-proxy and the policy agents
 * insert rules at the top of the built-in chains at any time, which shifts every number.
 */
import type { IptablesDump, IptablesTable } from '../core/datapath-types.ts';
import { chainRules } from '../datapath/iptables-chains.ts';
import { parseIptablesSave, tokenizeIptablesSpec } from '../datapath/parsers/iptables-save.ts';
import type { AppliedAction, AppliedRecord, Check, NodeRun, RepairExec, UndoAction } from './step.ts';
import { errText, runUndo, sh, shq } from './step-kit.ts';

/** The two iptables backends a node can carry rules in. */
export const BACKENDS = ['nft', 'legacy'] as const;
export type Backend = (typeof BACKENDS)[number];

/** The snapshot's dump of each backend (NodeDatapath field names). */
export const BACKEND_KEY = { nft: 'iptablesNft', legacy: 'iptablesLegacy' } as const;

export function iptablesBin(b: Backend): string {
  return `iptables-${b}`;
}

/**
 * Waits up to 5 s for the xtables lock instead of failing at once when another writer (a
 * legacy-mode kube-proxy) holds it; iptables-nft accepts and ignores the option.
 */
const WAIT = '-w 5';

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

/** One rule on one node, where it sits (1-based position in its chain) and what it says. */
export interface RuleRef {
  node: string;
  backend: Backend;
  table: string;
  chain: string;
  position: number;
  /** The rule as iptables-save writes it, without `-A CHAIN`. */
  spec: string;
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

const BARE = /^[A-Za-z0-9_.,:/=+@%!-]+$/;

/** argv as a shell command line, quoting only the words that need it. */
export function shellLine(argv: string[]): string {
  return argv.map((a) => (BARE.test(a) ? a : shq(a))).join(' ');
}

/** `iptables-<backend> -w 5 -t <table> -D <chain> <spec>`: deletes the first rule equal to spec. */
export function deleteScript(r: RuleRef): string {
  return shellLine([
    iptablesBin(r.backend),
    ...WAIT.split(' '),
    '-t',
    r.table,
    '-D',
    r.chain,
    ...tokenizeIptablesSpec(r.spec),
  ]);
}

/** `iptables-<backend> -w 5 -t <table> -I <chain> <position> <spec>`: puts a deleted rule back. */
export function insertScript(r: RuleRef): string {
  return shellLine([
    iptablesBin(r.backend),
    ...WAIT.split(' '),
    '-t',
    r.table,
    '-I',
    r.chain,
    String(r.position),
    ...tokenizeIptablesSpec(r.spec),
  ]);
}

/**
 * Orders rules for deletion: per chain from the bottom up. The undo list keeps that order, and
 * runUndo plays it backwards, so rules go back top-down and each lands on its old position.
 */
export function deletionOrder(refs: RuleRef[]): RuleRef[] {
  return [...refs].sort(
    (a, b) =>
      a.node.localeCompare(b.node) ||
      a.backend.localeCompare(b.backend) ||
      a.table.localeCompare(b.table) ||
      a.chain.localeCompare(b.chain) ||
      b.position - a.position,
  );
}

/** What deleting rules did, for the AppliedRecord. */
export interface Removal {
  actions: AppliedAction[];
  undo: UndoAction[];
  removed: RuleRef[];
}

/**
 * Deletes the rules (in {@link deletionOrder}), recording an undo for each. When one deletion
 * fails, the ones already done are put back before the error is thrown: an apply that throws
 * leaves no record for the executor to roll back with.
 */
export async function removeRules(exec: RepairExec, refs: RuleRef[], why: string): Promise<Removal> {
  const out: Removal = { actions: [], undo: [], removed: [] };
  for (const r of deletionOrder(refs)) {
    const cmd = deleteScript(r);
    const res = await exec.nodes.run(r.node, sh(cmd), { hostMount: false });
    out.actions.push({
      target: `node/${r.node}`,
      command: cmd,
      before: `-A ${r.chain} ${r.spec} (position ${r.position} in ${r.table} ${r.chain}, iptables-${r.backend})`,
      after: '(deleted)',
      result: `exit ${res.exitCode}${res.exitCode === 0 ? '' : `: ${res.stdout.trim()}`} (${why})`,
    });
    if (res.exitCode !== 0) {
      const back = await undoPartial(exec, out);
      throw new Error(`${failed(cmd, r.node, res).message}; ${back}`);
    }
    out.undo.push({ type: 'node', node: r.node, argv: sh(insertScript(r)), hostMount: false });
    out.removed.push(r);
  }
  return out;
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
