import { egressNat, podMasquerade, SIMULATED_OUTSIDE_ADDRESS } from '../../cni/masquerade.ts';
import type { NodeDatapath } from '../../core/datapath-types.ts';
import type { Evidence, Finding } from '../../core/model.ts';
import { chainPolicy } from '../../datapath/iptables-chains.ts';
import type { Applicability, NodeResult, Rule, RuleContext } from '../rule.ts';
import {
  allOf,
  chainRules,
  checkedCni,
  iptablesDumps,
  lacksIptables,
  makeFinding,
  needsCheckedCni,
  needsNodes,
  nodeSource,
  nodeSubject,
  notCheckedCniNode,
  overlayPeers,
  parseSpec,
} from './support/datapath.ts';
import { describeProbe, failedProbe, passedProbe, probeSource, probeView } from './support/probes.ts';

function applies(ctx: RuleContext): Applicability {
  return allOf(needsCheckedCni(ctx), needsNodes(ctx));
}

/** Pod traffic leaving the cluster network must be masqueraded (flannel's FLANNEL-POSTRTG or an equivalent rule). */
export const nodeMasqueradeMissing: Rule = {
  id: 'node-masquerade-missing',
  layer: 'node',
  needs: { cluster: ['nodes', 'pods', 'daemonSets'], node: ['iptablesLegacy', 'iptablesNft'] },
  title: 'MASQUERADE for pod egress',
  why: 'Pod addresses are not routable outside the cluster; without MASQUERADE, replies to pod traffic leaving the node never come back (external DNS and HTTP time out).',
  appliesTo: applies,
  runNode: (ctx: RuleContext, dp: NodeDatapath): NodeResult => {
    const name = dp.name;
    const skip = notCheckedCniNode(ctx, dp) ?? lacksIptables(dp);
    if (skip) return skip;
    const fc = overlayPeers(ctx);
    const cni = checkedCni(ctx);
    const agent = cni.nodeAgentState(dp);
    /** The agent's own masquerade chain (flannel: FLANNEL-POSTRTG). */
    const masqChain = cni.datapath.masqueradeChains[0] ?? '';
    const probes = probeView(ctx);
    const external = probes.byScenario.get('external') ?? [];
    const out: Finding[] = [];
    const podCIDR = fc.nodes.get(name)?.podCIDR;
    const dumps = iptablesDumps(dp);
    if (!podCIDR || dumps.length === 0) return out;
    if (agent?.ipMasq === false) return out;
    // Both backends' nat hooks see the packet: one masquerading it is enough.
    let found: string | undefined;
    const bypass: string[] = [];
    for (const d of dumps) {
      const nat = d.dump.tables['nat'];
      if (!nat) continue;
      const r = egressNat(nat, podCIDR);
      if (r.masqueraded === true) found ??= r.rule;
      else if (r.masqueraded === 'unknown') found ??= podMasquerade(nat, podCIDR);
      else if (r.decidedBy) bypass.push(`${d.label}: ${r.decidedBy}`);
    }
    if (!found && dp.nftRuleset) {
      const cluster = fc.network ?? agent?.network;
      const hit = dp.nftRuleset.rules.find(
        (r) =>
          /\bmasquerade\b/.test(r.text) &&
          (r.text.includes(podCIDR) || (!!cluster && r.text.includes(cluster))),
      );
      if (hit) found = hit.text;
    }
    if (found) return out;

    const evidence: Evidence[] = [];
    const cluster = fc.network ?? agent?.network ?? podCIDR;
    for (const d of dumps) {
      const nat = d.dump.tables['nat'];
      const post = nat ? (chainRules(nat).get('POSTROUTING') ?? []) : [];
      const agentChain = nat !== undefined && chainPolicy(nat, masqChain) !== undefined;
      const jumps = post.some((r) => (r.target ?? parseSpec(r.spec).target) === masqChain);
      if (!nat && d.dump.backend !== 'nf_tables' && dumps.length > 1) continue;
      evidence.push({
        source: nodeSource(name, d.key),
        observed: !nat
          ? `${d.label}: no nat table`
          : agentChain && !jumps
            ? `${d.label}: ${masqChain} exists but POSTROUTING does not jump to it; POSTROUTING: ${post.map((r) => r.spec).join(' | ') || '(empty)'}`
            : `${d.label}: no MASQUERADE for ${podCIDR} reachable from POSTROUTING${post.length ? ` (POSTROUTING: ${post.map((r) => r.spec).join(' | ')})` : ''}`,
        expected: `-A POSTROUTING -j ${masqChain} and -A ${masqChain} -s ${cluster} ! -d 224.0.0.0/4 -j MASQUERADE --random-fully`,
      });
    }
    if (bypass.length > 0) {
      evidence.unshift({
        source: nodeSource(name, dumps[0]!.key),
        observed: `a packet from ${podCIDR} to ${SIMULATED_OUTSIDE_ADDRESS} leaves nat POSTROUTING unmasqueraded; it first matches ${bypass.join('; ')}`,
        expected: 'pod traffic leaving the cluster network reaches a MASQUERADE rule',
      });
    }
    let confidence = 0.8;
    const mine = external.filter((r) => r.from.node === name);
    const failedHere = mine.filter(failedProbe);
    if (failedHere.length > 0) {
      const elsewhereOk = external.some((r) => r.from.node !== name && passedProbe(r));
      confidence = elsewhereOk ? 0.95 : 0.85;
      for (const r of failedHere.slice(0, 3))
        evidence.push({ source: probeSource(r), observed: describeProbe(r) });
    }
    out.push(
      makeFinding(nodeMasqueradeMissing, nodeSubject(name), {
        severity: 'error',
        summary: `pod traffic leaving the cluster from ${name} is not masqueraded`,
        evidence,
        cause: { category: 'node.masquerade-missing', confidence, remediation: ['restore-masquerade'] },
        nextCommands: ['iptables-save -t nat | grep -E "POSTROUTING|MASQUERADE"'],
      }),
    );

    return out;
  },
};
