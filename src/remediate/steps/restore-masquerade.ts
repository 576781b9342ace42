/**
 * Seed 000 system step. Two things keep pod egress from being masqueraded: the CNI agent's
 * MASQUERADE rules are gone (the agent writes them at start, so it is restarted on the node),
 * or a rule ahead of the agent's chain in nat POSTROUTING RETURNs or ACCEPTs pod traffic before
 * it gets there (an old firewall script), which no restart removes. Those shadowing rules are
 * deleted, each recorded with its position for rollback; verify walks the node's nat table
 * again for a pod's packet to the outside and wants it to end in MASQUERADE.
 */

import { nodePodCidr4 } from '../../analyze/snapshot-index.ts';
import { CNI_ADAPTERS, declaredAgentConfig, nodeDeclaredNetwork } from '../../cni/index.ts';
import { egressNat, egressPacket, podMasquerade } from '../../cni/masquerade.ts';
import type { IptablesTable } from '../../core/datapath-types.ts';
import type { RootCause, Snapshot } from '../../core/model.ts';
import { cidrCoversCidr, parseCidr } from '../../core/net/cidr.ts';
import { chainRules } from '../../datapath/iptables-chains.ts';
import { matchRule } from '../../datapath/iptables-eval.ts';
import {
  type AgentTarget,
  agentTarget,
  deleteAgentPods,
  newPodsReady,
  restartChanges,
} from '../agent-restart.ts';
import {
  BACKEND_KEY,
  BACKENDS,
  type Backend,
  deleteScript,
  describeRule,
  type RuleRef,
  readableRulesChecks,
  readRules,
  readRulesScript,
  removeRules,
  undoPartial,
} from '../iptables-node.ts';
import type { AppliedAction, RepairStep } from '../step.ts';
import {
  basePlan,
  causeNodes,
  cniDaemonSet,
  errText,
  nodeCommand,
  planned,
  pollUntil,
  runUndo,
} from '../step-kit.ts';

/** What apply needs: per node, the rules to add; the agent to restart, if it writes them. */
type Params = { targets: Target[]; restart?: AgentTarget };

/** What the step does on one node. */
interface Target {
  node: string;
  /** The node's pod subnet: the source of the egress packet verify follows. */
  podCidr: string;
  /** The cluster's pod network: a shadowing rule's source lies inside it. */
  cluster: string;
  /** Backends whose nat table is read at apply and verify time. */
  backends: Backend[];
  /** The shadowing rules the snapshot shows (apply deletes what it finds then). */
  expected: RuleRef[];
}

/** Each CNI's masquerade entry chain, and Weave Net's (no adapter yet). */
const CNI_CHAINS = new RegExp(
  `^(${[...CNI_ADAPTERS.flatMap((a) => a.datapath.masqueradeChains.slice(0, 1)), 'WEAVE'].join('|')})$`,
);
const NAT_TARGETS = new Set(['MASQUERADE', 'SNAT']);

/**
 * Where the CNI's masquerading starts in POSTROUTING: the first rule that jumps to a known CNI
 * chain, to a non-kube-proxy chain holding a MASQUERADE or SNAT, or masquerades itself.
 */
function cniMasqueradeAt(nat: IptablesTable): number {
  const byChain = chainRules(nat);
  const post = byChain.get('POSTROUTING') ?? [];
  return post.findIndex((r) => {
    const t = r.target;
    if (!t) return false;
    if (NAT_TARGETS.has(t) || CNI_CHAINS.test(t)) return true;
    return (
      !t.startsWith('KUBE-') &&
      (byChain.get(t) ?? []).some((x) => x.target !== undefined && NAT_TARGETS.has(x.target))
    );
  });
}

/**
 * The nat POSTROUTING rules that end pod egress before the CNI masquerades it: RETURN or ACCEPT,
 * a source inside the cluster's pod network, matching a pod's packet to an outside address,
 * and ahead of the CNI's chain (anywhere in POSTROUTING when that jump is missing, since the
 * agent adds it back behind them).
 */
export function shadowingRules(
  node: string,
  backend: Backend,
  nat: IptablesTable,
  podCidr: string,
  cluster: string,
): RuleRef[] {
  const pkt = egressPacket(podCidr);
  const net = parseCidr(cluster);
  if (!pkt || !net) return [];
  const post = chainRules(nat).get('POSTROUTING') ?? [];
  const at = cniMasqueradeAt(nat);
  const end = at < 0 ? post.length : at;
  const out: RuleRef[] = [];
  for (let i = 0; i < end; i++) {
    const r = post[i]!;
    if (r.target !== 'RETURN' && r.target !== 'ACCEPT') continue;
    const src = r.source ? parseCidr(r.source.includes('/') ? r.source : `${r.source}/32`) : undefined;
    if (!src || r.negations.includes('-s') || !cidrCoversCidr(net, src)) continue;
    if (matchRule(r, pkt) !== true) continue;
    out.push({ node, backend, table: 'nat', chain: 'POSTROUTING', position: i + 1, spec: r.spec });
  }
  return out;
}

/**
 * The rules the diagnosis names as deciding pod egress (`iptables-nft: -A POSTROUTING ...` in
 * node-masquerade-missing's evidence), per backend.
 */
function diagnosed(causes: RootCause[], node: string): { backend: Backend; spec: string }[] {
  const out: { backend: Backend; spec: string }[] = [];
  for (const c of causes) {
    if (c.subject.name !== node) continue;
    for (const e of c.evidence) {
      for (const m of e.observed.matchAll(/iptables-(nft|legacy): -A POSTROUTING ([^;]+)/g))
        out.push({ backend: m[1] as Backend, spec: m[2]!.trim() });
    }
  }
  return out;
}

/** Whether pod egress on this nat table ends in MASQUERADE; the reason when it does not. */
export function masqueradedBy(
  nat: IptablesTable,
  t: { node: string; podCidr: string; cluster: string },
  backend: Backend,
): { ok: true; rule: string } | { ok: false; reason: string } {
  const e = egressNat(nat, t.podCidr);
  if (e.masqueraded === true) return { ok: true, rule: e.rule };
  if (e.masqueraded === 'unknown') {
    // A NAT rule the evaluator cannot judge: present and not shadowed is the best evidence.
    const rule = podMasquerade(nat, t.podCidr);
    const shadow = shadowingRules(t.node, backend, nat, t.podCidr, t.cluster);
    if (rule && shadow.length === 0) return { ok: true, rule };
    return {
      ok: false,
      reason: shadow.length > 0 ? `shadowed by ${shadow.map(describeRule).join('; ')}` : 'no MASQUERADE rule',
    };
  }
  return {
    ok: false,
    reason: e.decidedBy ? `pod egress first matches ${e.decidedBy}` : 'no rule masquerades pod egress',
  };
}

function clusterNetwork(snapshot: Snapshot, node: string, podCidr: string): string {
  return declaredAgentConfig(snapshot).network ?? nodeDeclaredNetwork(snapshot.nodes[node]) ?? podCidr;
}

export const restoreMasquerade: RepairStep<Params> = {
  id: 'restore-masquerade',
  title: 'Restore pod-egress MASQUERADE (remove rules that bypass it, restart the CNI agent that owns it)',
  phase: 'system',
  order: 13,
  handles: ['node.masquerade-missing'],
  plan(input) {
    const nodes = causeNodes(input.causes);
    if (nodes.length === 0) return { status: 'nothing-to-do', reason: 'no node named' };
    const ds = cniDaemonSet(input.snapshot);
    const plan = basePlan(restoreMasquerade, input);
    const targets: Target[] = [];
    for (const n of nodes) {
      const node = input.snapshot.cluster.nodes.find((x) => x.metadata.name === n);
      const podCidr = node ? nodePodCidr4(node) : undefined;
      if (!podCidr)
        return { status: 'refused', reason: `${n} has no IPv4 pod CIDR: pod egress cannot be followed` };
      const cluster = clusterNetwork(input.snapshot, n, podCidr);
      const dp = input.snapshot.nodes[n];
      const dumps = BACKENDS.flatMap((b) => {
        const nat = dp?.[BACKEND_KEY[b]]?.tables['nat'];
        return nat ? [{ b, nat }] : [];
      });
      const expected = dumps.flatMap(({ b, nat }) => shadowingRules(n, b, nat, podCidr, cluster));
      const named = diagnosed(input.causes, n);
      const backends = dumps.length > 0 ? dumps.map((d) => d.b) : [...BACKENDS];
      targets.push({ node: n, podCidr, cluster, backends, expected });
      for (const b of backends)
        plan.nodeCommands.push(
          nodeCommand(
            n,
            readRulesScript(b),
            expected.length > 0
              ? `list iptables-${b} nat POSTROUTING: the rules below are found again there by what they say, and only they are deleted`
              : `list iptables-${b} nat POSTROUTING; RETURN/ACCEPT rules for ${cluster} sources ahead of the CNI chain are deleted as found then (the diagnosis has no rules of this node)`,
          ),
        );
      for (const r of expected) {
        const byDiagnosis = named.some((d) => d.backend === r.backend && d.spec === r.spec);
        plan.nodeCommands.push(
          nodeCommand(
            n,
            deleteScript(r),
            `${byDiagnosis ? 'the rule the diagnosis found deciding pod egress' : 'shadows the CNI masquerade'}: ${describeRule(r)}`,
          ),
        );
      }
    }
    const restart = ds ? agentTarget(ds, nodes) : undefined;
    if (!restart && targets.every((t) => t.expected.length === 0))
      return {
        status: 'refused',
        reason: 'no CNI agent DaemonSet to rewrite the MASQUERADE rules, and no rule bypassing them',
      };
    if (restart)
      plan.objectChanges = restartChanges(
        input.snapshot,
        restart,
        'the agent rewrites its MASQUERADE rules at start',
      );
    else plan.notes.push('no CNI agent DaemonSet: its MASQUERADE rules are not rewritten');
    const params: Params = { targets, ...(restart ? { restart } : {}) };
    plan.verification =
      (restart ? `a new ${restart.daemonSet} pod is Ready on ${nodes.join(', ')}, and ` : '') +
      `a pod's packet to an outside address, walked through nat POSTROUTING (re-read on ${nodes.join(', ')}), ends in MASQUERADE with no RETURN ahead of it`;
    plan.rollback =
      'put each deleted rule back in front of the rule that followed it in nat POSTROUTING, found again when rolling back; a restarted pod needs no undo';
    plan.notes.push(
      'only the listed rules are deleted, by what they say (never by position), each confirmed gone by a re-read a moment later',
    );
    return planned(plan, params);
  },
  preconditions(plan) {
    return readableRulesChecks(plan.params.targets, 'nat rules');
  },
  async apply(exec, plan) {
    const targets = plan.params.targets;
    const restart = plan.params.restart;
    const found: RuleRef[] = [];
    const same = (a: RuleRef, b: RuleRef) => a.backend === b.backend && a.spec === b.spec;
    for (const t of targets) {
      for (const b of t.backends) {
        const nat = (await readRules(exec, t.node, b)).tables['nat'];
        if (!nat) continue;
        const here = shadowingRules(t.node, b, nat, t.podCidr, t.cluster);
        // Only the rules the plan named (or, with no dump in the diagnosis, its test found).
        found.push(
          ...(t.expected.length > 0 ? here.filter((r) => t.expected.some((e) => same(e, r))) : here),
        );
      }
    }
    const removal = await removeRules(exec, found, 'returns pod egress before the CNI masquerades it');
    const actions: AppliedAction[] = [...removal.actions];
    let oldUids: Record<string, string[]> = {};
    if (restart) {
      try {
        const d = await deleteAgentPods(exec, restart);
        actions.push(...d.actions);
        oldUids = d.oldUids;
      } catch (err) {
        const back = await undoPartial(exec, removal);
        throw new Error(`restarting ${restart.daemonSet} failed: ${errText(err)}; ${back}`);
      }
    }
    const facts = { oldUids, removed: removal.removed };
    if (actions.length === 0)
      return { status: 'no-op', step: plan.step, reason: 'no rule bypasses the MASQUERADE any more', facts };
    return { status: 'applied', step: plan.step, actions, undo: removal.undo, facts };
  },
  async verify(exec, record, plan) {
    const targets = plan.params.targets;
    const restart = plan.params.restart;
    const oldUids = (record.facts['oldUids'] ?? {}) as Record<string, string[]>;
    return pollUntil(exec, async () => {
      const done: string[] = [];
      if (restart) {
        const ready = await newPodsReady(exec, restart, oldUids);
        if (!ready.ok) return ready;
        done.push(ready.detail);
      }
      for (const t of targets) {
        const why: string[] = [];
        let by: string | undefined;
        for (const b of t.backends) {
          const nat = (await readRules(exec, t.node, b)).tables['nat'];
          if (!nat) {
            why.push(`iptables-${b}: no nat table`);
            continue;
          }
          // Both backends' nat hooks see the packet: one masquerading it is enough.
          const m = masqueradedBy(nat, t, b);
          if (m.ok) by ??= `iptables-${b}: ${m.rule}`;
          else why.push(`iptables-${b}: ${m.reason}`);
        }
        if (!by)
          return { ok: false, reason: `pod egress on ${t.node} is not masqueraded (${why.join('; ')})` };
        done.push(`${t.node}: pod egress reaches ${by}`);
      }
      return { ok: true, detail: done.join('; ') };
    });
  },
  rollback: runUndo,
};
