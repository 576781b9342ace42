/**
 * Deleting and restoring iptables rules on a node while other controllers write the same
 * chains. kube-proxy, flannel, kube-router, Calico and Cilium rewrite chains all the time, some
 * of them by saving a whole table and restoring it a moment later, which puts back a rule that
 * was deleted in between. So every decision is taken from a fresh read at the moment it is
 * made, rules are named by identity (table, chain, spec) and counted, never by a position read
 * earlier, and a deletion counts only once a re-read after a pause still shows it gone.
 */
import type { IptablesDump } from '../core/datapath-types.ts';
import { chainRules } from '../datapath/iptables-chains.ts';
import { tokenizeIptablesSpec } from '../datapath/parsers/iptables-save.ts';
import type { AppliedAction, NodeRun, RepairExec, UndoAction } from './step.ts';
import { errText, sh, shq } from './step-kit.ts';

/** The iptables backends a node can carry rules in. */
export type Backend = 'nft' | 'legacy';

/** A rule by what it is, not where it sits. */
export interface RuleIdentity {
  node: string;
  backend: Backend;
  table: string;
  chain: string;
  /** The rule as iptables-save writes it, without `-A CHAIN`. */
  spec: string;
}

/** Reads one backend's rules on a node, fresh. */
export type ReadRules = (exec: RepairExec, node: string, backend: Backend) => Promise<IptablesDump>;

/** How hard removal tries against writers that put rules back. */
export interface RemovalPolicy {
  /** Rounds of delete, pause, re-read before giving up. */
  attempts: number;
  /** Pause before the re-read that decides whether a deletion held. */
  settleMs: number;
}

export const DEFAULT_REMOVAL: RemovalPolicy = { attempts: 6, settleMs: 1500 };

/** One rule removed: how many copies there were, and what it stood before, for the restore. */
export interface RemovedRule extends RuleIdentity {
  /** Copies of the rule in its chain when removal started. */
  count: number;
  /** 1-based position of its first copy then (for people; the restore does not use it). */
  position: number;
  /**
   * The first rule after it (in the read before the first deletion) that was not being
   * removed: the restore inserts in front of it. Undefined when nothing followed.
   */
  before?: string;
}

/** What removal did, for the step's record. */
export interface RuleRemoval {
  actions: AppliedAction[];
  undo: UndoAction[];
  removed: RemovedRule[];
  /** Deletions another writer undid and that were made again. */
  reverted: number;
  /** Rules other writers added to the touched chains meanwhile (not netdoctor's change). */
  addedByOthers: string[];
}

const ruleKey = (r: { table: string; chain: string; spec: string }) =>
  `${r.table}\u0000${r.chain}\u0000${r.spec}`;

export function describeIdentity(r: RuleIdentity): string {
  return `iptables-${r.backend} -t ${r.table}: -A ${r.chain} ${r.spec}`;
}

/** How many copies of each rule a dump holds, per table and chain, in order. */
function chainLines(dump: IptablesDump, table: string, chain: string): string[] {
  const t = dump.tables[table];
  return t ? (chainRules(t).get(chain) ?? []).map((r) => r.spec) : [];
}

function countIn(lines: string[], spec: string): number {
  return lines.reduce((n, l) => (l === spec ? n + 1 : n), 0);
}

/** Multiset difference a - b. */
function minus(a: string[], b: string[]): string[] {
  const left = new Map<string, number>();
  for (const x of b) left.set(x, (left.get(x) ?? 0) + 1);
  const out: string[] = [];
  for (const x of a) {
    const n = left.get(x) ?? 0;
    if (n > 0) left.set(x, n - 1);
    else out.push(x);
  }
  return out;
}

const BARE = /^[A-Za-z0-9_.,:/=+@%!-]+$/;

/** argv as a shell command line, quoting only the words that need it. */
export function shellLine(argv: string[]): string {
  return argv.map((a) => (BARE.test(a) ? a : shq(a))).join(' ');
}

/**
 * `iptables-<backend> -w 5 -t <table> -D <chain> <spec>`: deletes the first rule equal to spec.
 * `-w 5` waits for the xtables lock a legacy-mode writer may hold (iptables-nft ignores it).
 */
export function deleteScript(r: RuleIdentity): string {
  return shellLine([
    `iptables-${r.backend}`,
    '-w',
    '5',
    '-t',
    r.table,
    '-D',
    r.chain,
    ...tokenizeIptablesSpec(r.spec),
  ]);
}

/** Rounds the restore makes against a writer that takes the restored rule away again. */
const RESTORE_ROUNDS = 6;

/**
 * The restore, as one shell script run on the node: it re-reads the chain when it runs, adds
 * copies only up to the count there was (a writer may have put the rule back already), and
 * inserts each in front of the rule it stood before, wherever that rule is now (when that rule
 * is gone too, at the end of the chain). Like removal, it counts only once a re-read a second
 * later still shows the rule, and tries again otherwise, a few rounds at most.
 */
export function restoreScript(r: RemovedRule): string {
  const b = `iptables-${r.backend}`;
  const rules = `${b}-save -t ${shq(r.table)} | grep -e ${shq(`^-A ${r.chain} `)}`;
  const count = `$(${rules} | grep -cxF -e ${shq(`-A ${r.chain} ${r.spec}`)})`;
  const insert = shellLine([b, '-w', '5', '-t', r.table, '-I', r.chain]);
  const append = shellLine([b, '-w', '5', '-t', r.table, '-A', r.chain, ...tokenizeIptablesSpec(r.spec)]);
  const spec = shellLine(tokenizeIptablesSpec(r.spec));
  return [
    `want=${r.count}; round=0`,
    'while :; do',
    `  have=${count}`,
    '  if [ "$have" -ge "$want" ]; then',
    '    [ "$round" -eq 0 ] && exit 0',
    `    sleep 1; have=${count}; [ "$have" -ge "$want" ] && exit 0`,
    '  fi',
    `  round=$((round + 1)); if [ "$round" -gt ${RESTORE_ROUNDS} ]; then echo "another writer keeps removing the restored rule"; exit 1; fi`,
    '  while [ "$have" -lt "$want" ]; do',
    r.before === undefined
      ? '    at='
      : `    at=$(${rules} | grep -nxF -e ${shq(`-A ${r.chain} ${r.before}`)} | head -n 1 | cut -d: -f1)`,
    `    if [ -n "$at" ]; then ${insert} "$at" ${spec} || exit $?; else ${append} || exit $?; fi`,
    '    have=$((have + 1))',
    '  done',
    'done',
  ].join('\n');
}

function failed(what: string, node: string, r: NodeRun): Error {
  return new Error(`${what} on ${node} exited ${r.exitCode}: ${r.stdout.trim().slice(0, 400)}`);
}

const sleep = (ms: number) => new Promise((done) => setTimeout(done, ms));

/**
 * Removes every copy of each rule in `targets` and proves it: each round re-reads the node,
 * deletes the copies it finds by spec, pauses, and re-reads; it ends when a re-read shows them
 * all gone, and deletes only the rules it was given. A deletion that another writer undid is
 * made again, up to `policy.attempts` rounds; after that, or when a rule netdoctor did not name
 * went missing, it puts back what it removed and throws.
 */
export async function removeRulesByIdentity(
  exec: RepairExec,
  targets: RuleIdentity[],
  why: string,
  read: ReadRules,
  policy: RemovalPolicy = DEFAULT_REMOVAL,
): Promise<RuleRemoval> {
  const out: RuleRemoval = { actions: [], undo: [], removed: [], reverted: 0, addedByOthers: [] };
  const groups = new Map<string, RuleIdentity[]>();
  for (const t of targets) {
    const k = `${t.node}\u0000${t.backend}`;
    const g = groups.get(k) ?? [];
    if (!g.some((x) => ruleKey(x) === ruleKey(t))) g.push(t);
    groups.set(k, g);
  }
  try {
    for (const group of groups.values()) await removeOnNode(exec, group, why, read, policy, out);
  } catch (err) {
    const back = await putBack(exec, out);
    throw new Error(`${errText(err)}; ${back}`);
  }
  return out;
}

/** One node and backend: the rounds of delete and re-read. */
async function removeOnNode(
  exec: RepairExec,
  group: RuleIdentity[],
  why: string,
  read: ReadRules,
  policy: RemovalPolicy,
  out: RuleRemoval,
): Promise<void> {
  const first = group[0];
  if (!first) return;
  const { node, backend } = first;
  const chains = [...new Set(group.map((g) => `${g.table}\u0000${g.chain}`))].map((k) => {
    const [table = '', chain = ''] = k.split('\u0000');
    return { table, chain };
  });
  const targetKeys = new Set(group.map(ruleKey));
  let before = await read(exec, node, backend);
  const original = new Map(
    chains.map((c) => [`${c.table}\u0000${c.chain}`, chainLines(before, c.table, c.chain)]),
  );
  // Where each rule stood, from the read before anything changed.
  const recorded: RemovedRule[] = [];
  for (const g of group) {
    const lines = original.get(`${g.table}\u0000${g.chain}`) ?? [];
    const count = countIn(lines, g.spec);
    if (count === 0) continue;
    const at = lines.indexOf(g.spec);
    const next = lines
      .slice(at + 1)
      .find((l) => !targetKeys.has(ruleKey({ table: g.table, chain: g.chain, spec: l })));
    recorded.push({ ...g, count, position: at + 1, ...(next === undefined ? {} : { before: next }) });
  }
  // Restored top-down (the undo list is played backwards), so each lands before its anchor in order.
  const undoOrder = [...recorded].sort((a, b) => b.position - a.position);
  let undoPushed = false;
  for (let round = 1; ; round++) {
    let deleted = 0;
    for (const g of group) {
      const n = countIn(chainLines(before, g.table, g.chain), g.spec);
      for (let i = 0; i < n; i++) {
        const cmd = deleteScript(g);
        const res = await exec.nodes.run(node, sh(cmd), { hostMount: false });
        out.actions.push({
          target: `node/${node}`,
          command: cmd,
          before: `-A ${g.chain} ${g.spec} (in ${g.table} ${g.chain}, iptables-${backend})`,
          after: '(deleted)',
          result: `exit ${res.exitCode}${res.exitCode === 0 ? '' : `: ${res.stdout.trim()}`} (${why})`,
        });
        // A copy that another writer removed first makes -D fail: the re-read below decides.
        if (res.exitCode === 0) deleted++;
        if (!undoPushed && res.exitCode === 0) {
          // Registered at the first deletion that worked: from then on there is something to undo.
          for (const r of undoOrder)
            out.undo.push({ type: 'node', node, argv: sh(restoreScript(r)), hostMount: false });
          out.removed.push(...recorded);
          undoPushed = true;
        }
      }
    }
    if (round > 1 && deleted > 0) out.reverted += deleted;
    await sleep(policy.settleMs);
    let after = await read(exec, node, backend);
    // A writer that deletes and re-adds its own rule can be caught in between: a rule missing
    // from one read counts as lost only when the next read, a pause later, still lacks it.
    if (lostRules(original, after, chains, targetKeys).length > 0) {
      await sleep(policy.settleMs);
      after = await read(exec, node, backend);
    }
    const left = group.filter((g) => countIn(chainLines(after, g.table, g.chain), g.spec) > 0);
    // Nothing but the named rules may have gone: each touched chain against the first read.
    const lost = lostRules(original, after, chains, targetKeys);
    if (lost.length > 0)
      throw new Error(
        `on ${node}, iptables-${backend} lost rules netdoctor did not delete: ${lost.join('; ')}`,
      );
    if (left.length === 0) {
      for (const c of chains) {
        const was = original.get(`${c.table}\u0000${c.chain}`) ?? [];
        for (const l of minus(chainLines(after, c.table, c.chain), was))
          out.addedByOthers.push(`${node} iptables-${backend} -t ${c.table} -A ${c.chain} ${l}`);
      }
    }
    if (left.length === 0) return;
    if (round >= policy.attempts)
      throw new Error(
        `on ${node}, another writer keeps putting back ${left.map(describeIdentity).join('; ')} (${policy.attempts} rounds of delete and re-read); find what writes it and change it there`,
      );
    exec.log(`on ${node} a deleted rule came back (another writer restored the chain): deleting it again`);
    before = after;
  }
}

/** Rules of the touched chains, other than the targets, that the first read had and `after` lacks. */
function lostRules(
  original: Map<string, string[]>,
  after: IptablesDump,
  chains: { table: string; chain: string }[],
  targetKeys: Set<string>,
): string[] {
  return chains.flatMap((c) => {
    const was = (original.get(`${c.table}\u0000${c.chain}`) ?? []).filter(
      (l) => !targetKeys.has(ruleKey({ ...c, spec: l })),
    );
    return minus(was, chainLines(after, c.table, c.chain)).map((l) => `-t ${c.table} -A ${c.chain} ${l}`);
  });
}

/** Puts back what a failing removal already took away; says how that went. */
async function putBack(exec: RepairExec, done: RuleRemoval): Promise<string> {
  if (done.undo.length === 0) return 'nothing had been changed';
  const failures: string[] = [];
  for (const u of [...done.undo].reverse()) {
    if (u.type !== 'node') continue;
    const r = await exec.nodes.run(u.node, u.argv, { hostMount: u.hostMount });
    if (r.exitCode !== 0) failures.push(failed('restoring a rule', u.node, r).message);
  }
  return failures.length > 0
    ? `PUTTING BACK what was already changed FAILED: ${failures.join('; ')}`
    : `the removed rules were put back (${done.removed.map(describeIdentity).join('; ')})`;
}
