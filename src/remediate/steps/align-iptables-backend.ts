/**
 * Seed 001 system step, adapted: instead of switching the node's iptables alternatives, the
 * backend kube-proxy and the CNI write to (the one holding their KUBE-/FLANNEL- rules in the
 * snapshot) is kept and the other one, which every packet also passes, is emptied: its whole
 * ruleset is saved first (into the audit log and the rollback), then every table is flushed, its
 * user chains deleted and its built-in chains set back to ACCEPT.
 */
import { OWNED_CHAINS_LABEL } from '../../cni/index.ts';
import { owned } from '../../cni/owned-chains.ts';
import type { IptablesDump } from '../../core/datapath-types.ts';
import { parseIptablesSave } from '../../datapath/parsers/iptables-save.ts';
import { BACKEND_KEY, type Backend, iptablesBin, saveScript, undoPartial } from '../iptables-node.ts';
import type { AppliedAction, NodeRun, RepairExec, RepairStep, UndoAction } from '../step.ts';
import { basePlan, causeNodes, errText, nodeCommand, planned, pollUntil, runUndo, sh } from '../step-kit.ts';

/** What apply needs: the nodes and the rules to move. */
type Params = { targets: Target[] };

interface Target {
  node: string;
  keep: Backend;
  stray: Backend;
}

const BUILTIN = new Set(['INPUT', 'OUTPUT', 'FORWARD', 'PREROUTING', 'POSTROUTING']);
/** Table and chain names as the kernel allows them; anything else never reaches a shell line. */
const TABLE_NAME = /^[a-z_]+$/;
const CHAIN_NAME = /^[A-Z]+$/;

/** What a backend still does: its rules, its user chains and its built-in chains not on ACCEPT. */
export function residue(dump: IptablesDump): string[] {
  const out: string[] = [];
  for (const t of Object.values(dump.tables)) {
    for (const [chain, policy] of Object.entries(t.chains)) {
      if (BUILTIN.has(chain) && policy !== '-' && policy.toUpperCase() !== 'ACCEPT')
        out.push(`${t.name} ${chain} policy ${policy}`);
      else if (!BUILTIN.has(chain) && policy === '-') out.push(`${t.name} chain ${chain}`);
    }
    for (const r of t.rules) out.push(`${t.name}: -A ${r.chain} ${r.spec}`);
  }
  return out;
}

/**
 * The commands that empty a backend: per table, flush every chain, delete the user chains, and
 * set each built-in chain whose policy is not ACCEPT back to ACCEPT.
 */
export function flushScript(b: Backend, dump: IptablesDump): string {
  const bin = `${iptablesBin(b)} -w 5`;
  const cmds: string[] = [];
  for (const t of Object.values(dump.tables)) {
    if (!TABLE_NAME.test(t.name)) throw new Error(`unexpected iptables table name ${JSON.stringify(t.name)}`);
    const policies = Object.entries(t.chains).filter(
      ([c, p]) => BUILTIN.has(c) && p !== '-' && p.toUpperCase() !== 'ACCEPT',
    );
    const userChains = Object.entries(t.chains).some(([c, p]) => !BUILTIN.has(c) && p === '-');
    if (t.rules.length === 0 && !userChains && policies.length === 0) continue;
    cmds.push(`${bin} -t ${t.name} -F`, `${bin} -t ${t.name} -X`);
    for (const [c] of policies) {
      if (!CHAIN_NAME.test(c)) throw new Error(`unexpected built-in chain name ${JSON.stringify(c)}`);
      cmds.push(`${bin} -t ${t.name} -P ${c} ACCEPT`);
    }
  }
  return cmds.join(' && ');
}

/**
 * `text` as a printf format string that prints it back byte for byte: `\`, `%` and `'` escaped,
 * bytes outside printable ASCII as octal escapes, newlines kept (they are fine inside the
 * single quotes the format sits in).
 */
export function printfFormat(text: string): string {
  let out = '';
  for (const byte of Buffer.from(text, 'utf8')) {
    const c = String.fromCharCode(byte);
    if (c === '\\') out += '\\\\';
    else if (c === '%') out += '%%';
    else if (c === "'") out += '\\047';
    else if (c === '\n' || (byte >= 0x20 && byte < 0x7f)) out += c;
    else out += `\\${byte.toString(8).padStart(3, '0')}`;
  }
  return out;
}

/**
 * The rollback command: the saved ruleset fed to iptables-<backend>-restore. The node runner
 * has no stdin, so the ruleset travels in the command line, printed by the shell's own printf
 * (no decoder to be missing on the node) and readable in the audit log.
 */
export function restoreScript(b: Backend, saved: string): string {
  return `printf '${printfFormat(saved.endsWith('\n') ? saved : `${saved}\n`)}' | iptables-${b}-restore -w 5`;
}

/**
 * Linux takes at most 128 KiB in one argument, and the rollback command is one: a larger saved
 * ruleset could be flushed but never restored, so it is refused before the flush.
 */
export const MAX_RESTORE_BYTES = 120 * 1024;

function restoreTooLarge(node: string, b: Backend, saved: string): string | undefined {
  const n = Buffer.byteLength(restoreScript(b, saved));
  return n > MAX_RESTORE_BYTES
    ? `iptables-${b} on ${node} holds too many rules (${n} bytes to restore) for a rollback command; save and flush it by hand`
    : undefined;
}

/** Checks the rollback's restore command is there, then prints the backend's ruleset. */
function checkedSave(b: Backend): string {
  return `command -v iptables-${b}-restore >/dev/null || { echo 'iptables-${b}-restore not found (rollback needs it)'; exit 127; }; ${saveScript(b)}`;
}

function parseSave(node: string, b: Backend, r: NodeRun): IptablesDump {
  if (r.exitCode !== 0)
    throw new Error(`iptables-${b}-save on ${node} exited ${r.exitCode}: ${r.stdout.trim().slice(0, 400)}`);
  try {
    return parseIptablesSave(r.stdout);
  } catch (err) {
    throw new Error(`iptables-${b}-save on ${node} gave output netdoctor cannot read: ${errText(err)}`);
  }
}

/** Refuses to empty a backend that now carries the cluster's own rules. */
function ownedCheck(node: string, b: Backend, dump: IptablesDump): string | undefined {
  const o = owned(dump);
  return o.rules > 0
    ? `iptables-${b} on ${node} now holds ${o.rules} ${OWNED_CHAINS_LABEL} rules (${o.chains.slice(0, 4).join(', ')}): the cluster writes there; diagnose again`
    : undefined;
}

export const alignIptablesBackend: RepairStep<Params> = {
  id: 'align-iptables-backend',
  title: "Align the iptables backend (empty the one the cluster's components do not use)",
  phase: 'system',
  order: 12,
  handles: ['node.iptables-backend-mixed'],
  plan(input) {
    const nodes = causeNodes(input.causes);
    if (nodes.length === 0) return { status: 'nothing-to-do', reason: 'no node named by the root causes' };
    const plan = basePlan(alignIptablesBackend, input);
    const targets: Target[] = [];
    for (const n of nodes) {
      const dp = input.snapshot.nodes[n];
      const manual = [
        `# on ${n}: iptables-legacy-save > legacy.rules; iptables-nft-save > nft.rules`,
        `# keep the backend holding the ${OWNED_CHAINS_LABEL} rules, save and flush the other`,
      ];
      if (!dp?.iptablesNft || !dp.iptablesLegacy)
        return {
          status: 'refused',
          reason: `the snapshot lacks ${n}'s iptables-nft or iptables-legacy rules: which backend the cluster uses is unknown`,
          manualCommands: manual,
        };
      const nft = owned(dp.iptablesNft).rules;
      const legacy = owned(dp.iptablesLegacy).rules;
      if (nft > 0 === legacy > 0)
        return {
          status: 'refused',
          reason:
            nft > 0
              ? `${n} has ${OWNED_CHAINS_LABEL} rules in both backends (nft ${nft}, legacy ${legacy}): which one kube-proxy and the CNI write to now is the node owner's call`
              : `neither backend of ${n} holds ${OWNED_CHAINS_LABEL} rules: nothing shows which one to keep`,
          manualCommands: manual,
        };
      const keep: Backend = nft > 0 ? 'nft' : 'legacy';
      const stray: Backend = keep === 'nft' ? 'legacy' : 'nft';
      const dump = dp[BACKEND_KEY[stray]]!;
      const left = residue(dump);
      if (left.length === 0) continue;
      targets.push({ node: n, keep, stray });
      plan.nodeCommands.push(
        nodeCommand(
          n,
          saveScript(stray),
          `back up iptables-${stray}'s whole ruleset (kept in the audit log; rollback restores it)`,
        ),
        nodeCommand(
          n,
          flushScript(stray, dump),
          `empty iptables-${stray}; kube-proxy and the CNI use iptables-${keep} (${keep === 'nft' ? nft : legacy} ${OWNED_CHAINS_LABEL} rules)`,
        ),
      );
      plan.notes.push(
        `${n}: removes from iptables-${stray}: ${left.slice(0, 8).join('; ')}${left.length > 8 ? `; and ${left.length - 8} more` : ''}`,
      );
    }
    if (targets.length === 0)
      return { status: 'nothing-to-do', reason: 'the backend the cluster does not use is already empty' };
    const params: Params = { targets };
    plan.verification = `iptables-${targets[0]!.stray}-save on ${targets.map((t) => t.node).join(', ')} shows no rule, no user chain and only ACCEPT policies`;
    plan.rollback = `restore each node's saved ruleset with iptables-<backend>-restore`;
    plan.notes.push(
      'the flush is of the ruleset found when the step runs (saved just before, whole); the list above is what the diagnosis saw',
      'whatever wrote these rules (Docker, a firewall script) writes them again when it restarts: point it at iptables-nft or turn off its iptables handling',
    );
    return planned(plan, params);
  },
  preconditions(plan) {
    return plan.params.targets.map((t) => ({
      what: `can save iptables-${t.stray} on ${t.node} and restore it, and it holds none of the cluster's rules`,
      async run(exec: RepairExec) {
        try {
          const r = await exec.nodes.run(t.node, sh(checkedSave(t.stray)), { hostMount: false });
          const why =
            ownedCheck(t.node, t.stray, parseSave(t.node, t.stray, r)) ??
            restoreTooLarge(t.node, t.stray, r.stdout);
          return why ? { status: 'failed' as const, reason: why } : { status: 'ok' as const };
        } catch (err) {
          return { status: 'failed' as const, reason: errText(err) };
        }
      },
    }));
  },
  async apply(exec, plan) {
    const targets = plan.params.targets;
    // Everything is saved and checked before the first flush.
    const saved: { t: Target; text: string; dump: IptablesDump }[] = [];
    for (const t of targets) {
      const r = await exec.nodes.run(t.node, sh(saveScript(t.stray)), { hostMount: false });
      const dump = parseSave(t.node, t.stray, r);
      const why = ownedCheck(t.node, t.stray, dump) ?? restoreTooLarge(t.node, t.stray, r.stdout);
      if (why) throw new Error(why);
      saved.push({ t, text: r.stdout, dump });
    }
    const actions: AppliedAction[] = [];
    const undo: UndoAction[] = [];
    const backups: Record<string, string> = {};
    for (const { t, text, dump } of saved) {
      if (residue(dump).length === 0) continue;
      const cmd = flushScript(t.stray, dump);
      undo.push({ type: 'node', node: t.node, argv: sh(restoreScript(t.stray, text)), hostMount: false });
      backups[t.node] = text;
      const r = await exec.nodes.run(t.node, sh(cmd), { hostMount: false });
      actions.push({
        target: `node/${t.node}`,
        command: cmd,
        before: text,
        after: `iptables-${t.stray}: empty, every policy ACCEPT`,
        result: `exit ${r.exitCode}${r.exitCode === 0 ? '' : `: ${r.stdout.trim()}`}`,
      });
      if (r.exitCode !== 0) {
        const back = await undoPartial(exec, { undo });
        throw new Error(`${cmd} on ${t.node} exited ${r.exitCode}: ${r.stdout.trim()}; ${back}`);
      }
    }
    const facts = {
      kept: Object.fromEntries(targets.map((t) => [t.node, `iptables-${t.keep}`])),
      backups,
    };
    if (actions.length === 0)
      return { status: 'no-op', step: plan.step, reason: 'the stray backend is already empty', facts };
    return { status: 'applied', step: plan.step, actions, undo, facts };
  },
  async verify(exec, _record, plan) {
    const targets = plan.params.targets;
    return pollUntil(exec, async () => {
      for (const t of targets) {
        const r = await exec.nodes.run(t.node, sh(saveScript(t.stray)), { hostMount: false });
        const left = residue(parseSave(t.node, t.stray, r));
        if (left.length > 0)
          return {
            ok: false,
            reason: `iptables-${t.stray} on ${t.node} still has ${left.slice(0, 4).join('; ')}`,
          };
      }
      return {
        ok: true,
        detail: targets
          .map((t) => `${t.node}: iptables-${t.stray} empty, iptables-${t.keep} kept`)
          .join('; '),
      };
    });
  },
  rollback: runUndo,
};
