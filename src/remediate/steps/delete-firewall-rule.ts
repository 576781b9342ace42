/**
 * System step, with consent only (--allow-firewall-change): a firewall rule that a traced failed
 * probe dies at (node.firewall-drops-traffic) is deleted on its node. The rule is named by its
 * identity (backend, table, chain, full rule) from the diagnosis; which copies exist and where
 * they sit is decided from a fresh read at apply time, because kube-proxy and the policy agents
 * rewrite chains between the diagnosis and the repair. The table is saved first as a backup,
 * removal proves each deletion by a re-read, rollback puts the rule back in front of the rule
 * it stood before, and verify re-reads the rules.
 */
import { type FirewallRuleId, parseFirewallRule } from '../../core/firewall-rule.ts';
import type { RootCause } from '../../core/model.ts';
import { chainRules } from '../../datapath/iptables-chains.ts';
import {
  type Backend,
  deleteScript,
  describeRule,
  iptablesBin,
  positionsIn,
  type RuleRef,
  readableRulesChecks,
  readRules,
  readRulesScript,
  removeRules,
} from '../iptables-node.ts';
import { describeIdentity, shellLine } from '../iptables-rule-edit.ts';
import type { RepairStep } from '../step.ts';
import { basePlan, nodeCommand, planned, pollUntil, runUndo, sh } from '../step-kit.ts';

/** What apply needs: each traced rule, by node, table, chain and spec. */
type Params = { targets: Target[] };

/** One rule to delete on one node. */
interface Target extends FirewallRuleId {
  node: string;
}

/** The rules a root cause names by identity in its evidence (only Node subjects). */
export function firewallTargets(causes: readonly RootCause[]): Target[] {
  const out: Target[] = [];
  const seen = new Set<string>();
  for (const rc of causes) {
    if (rc.subject.kind !== 'Node') continue;
    for (const e of rc.evidence) {
      const id = parseFirewallRule(e.observed);
      if (!id) continue;
      const key = `${rc.subject.name} ${id.backend} ${id.table} ${id.chain} ${id.spec}`;
      if (seen.has(key)) continue;
      seen.add(key);
      out.push({ node: rc.subject.name, ...id });
    }
  }
  return out;
}

function describeTarget(t: Target): string {
  return `iptables-${t.backend} -t ${t.table}: -A ${t.chain} ${t.spec} on ${t.node}`;
}

/** The manual deletion, for a person who would rather do it by hand. */
function manualDelete(t: Target): string {
  return `# on ${t.node}: ${deleteScript(t)}`;
}

/** `iptables-<b>-save -t <table>`: the whole table as it is, kept as the backup. */
function backupScript(b: Backend, table: string): string {
  return shellLine([`${iptablesBin(b)}-save`, '-t', table]);
}

/** Every copy of the rule in its chain now, with its current position. */
async function present(exec: Parameters<RepairStep['apply']>[0], t: Target): Promise<RuleRef[]> {
  const dump = await readRules(exec, t.node, t.backend);
  const table = dump.tables[t.table];
  if (!table) return [];
  const copies = (chainRules(table).get(t.chain) ?? []).filter((r) => r.spec === t.spec);
  return positionsIn(
    table,
    copies.map(() => ({ chain: t.chain, spec: t.spec })),
  ).map((p) => ({ node: t.node, backend: t.backend, table: t.table, ...p }));
}

export const deleteFirewallRule: RepairStep<Params> = {
  id: 'delete-firewall-rule',
  title: 'Delete the firewall rule that drops pod traffic',
  phase: 'system',
  order: 15,
  handles: ['node.firewall-drops-traffic'],
  plan(input) {
    const targets = firewallTargets(input.causes);
    if (targets.length === 0)
      return {
        status: 'refused',
        reason:
          'the diagnosis names no single rule (a chain policy drops the traffic, or the rule is outside iptables): change it by hand',
        manualCommands: input.causes.map((c) => `# ${c.summary}`),
      };
    if (!input.options.allowFirewallChange)
      return {
        status: 'refused',
        reason: `deleting a firewall rule needs explicit consent (--allow-firewall-change): ${targets.map(describeTarget).join('; ')}`,
        manualCommands: ['netdoctor fix --allow-firewall-change', ...targets.map(manualDelete)],
      };
    const plan = basePlan(deleteFirewallRule, input);
    for (const t of targets) {
      plan.nodeCommands.push(
        nodeCommand(t.node, backupScript(t.backend, t.table), `back up the ${t.table} table first`),
        nodeCommand(
          t.node,
          readRulesScript(t.backend),
          `find every copy of the rule and its position now (chains are rewritten all the time)`,
        ),
        nodeCommand(t.node, deleteScript(t), `delete by identity: ${describeTarget(t)}`),
      );
    }
    const params: Params = { targets };
    plan.verification = `re-read the rules: ${targets.map(describeTarget).join('; ')} is gone`;
    plan.rollback =
      'put each deleted copy back in front of the rule it stood before, wherever that rule is then';
    plan.notes.push(
      'only this exact rule is deleted: same backend, table, chain and every match and target',
      'whatever added the rule (a firewall service, a provisioning script) may add it again: change it there too',
    );
    return planned(plan, params);
  },
  preconditions(plan) {
    const targets = plan.params.targets;
    return readableRulesChecks(
      targets.map((t) => ({ node: t.node, backends: [t.backend] })),
      'rules',
    );
  },
  async apply(exec, plan) {
    const targets = plan.params.targets;
    // Every node is read (and backed up) before the first deletion, so a read that fails changes nothing.
    const found: RuleRef[] = [];
    const gone: string[] = [];
    const backups: { target: string; command: string; before: string; result: string }[] = [];
    for (const t of targets) {
      const here = await present(exec, t);
      if (here.length === 0) {
        gone.push(describeTarget(t));
        continue;
      }
      const cmd = backupScript(t.backend, t.table);
      const b = await exec.nodes.run(t.node, sh(cmd), { hostMount: false });
      if (b.exitCode !== 0) throw new Error(`${cmd} on ${t.node} exited ${b.exitCode}: ${b.stdout.trim()}`);
      backups.push({ target: `node/${t.node}`, command: cmd, before: b.stdout, result: 'backup' });
      found.push(...here);
    }
    const facts = { alreadyGone: gone };
    if (found.length === 0)
      return { status: 'no-op', step: plan.step, reason: 'the rule is not there any more', facts };
    // Removal re-reads and deletes by identity until a re-read shows the rule gone, so a
    // controller rewriting the chain meanwhile neither hides it nor loses its own rules.
    const r = await removeRules(exec, found, 'drops pod traffic');
    return {
      status: 'applied',
      step: plan.step,
      actions: [...backups, ...r.actions],
      undo: r.undo,
      facts: {
        ...facts,
        removed: r.removed.map(
          (x) => `${describeIdentity(x)} (position ${x.position}${x.count > 1 ? `, ${x.count} copies` : ''})`,
        ),
        addedByOthers: r.addedByOthers,
      },
    };
  },
  async verify(exec, _record, plan) {
    const targets = plan.params.targets;
    return pollUntil(exec, async () => {
      for (const t of targets) {
        const left = await present(exec, t);
        if (left.length > 0)
          return { ok: false, reason: `still there: ${left.map(describeRule).join('; ')}` };
      }
      return { ok: true, detail: `deleted: ${targets.map(describeTarget).join('; ')}` };
    });
  },
  rollback: runUndo,
};
