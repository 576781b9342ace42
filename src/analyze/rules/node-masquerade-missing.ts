import type { IptablesTable, NodeDatapath } from '../../core/datapath-types.ts';
import type { Evidence, Finding } from '../../core/model.ts';
import { prefixesOverlap } from '../../core/net/cidr.ts';
import { formatIPv4, parseCidr4 } from '../../core/net/ipv4.ts';
import { evaluateChain, matchRule, type PacketView } from '../../datapath/iptables-eval.ts';
import type { Applicability, NodeResult, Rule, RuleContext } from '../rule.ts';
import {
  allOf,
  chainRules,
  flannelCluster,
  iptablesDumps,
  lacksIptables,
  makeFinding,
  needsFlannel,
  needsNodes,
  nodeSource,
  nodeSubject,
  notFlannelNode,
  parseSpec,
  reachableChains,
} from './support/datapath.ts';
import { describeProbe, failedProbe, passedProbe, probeSource, probeView } from './support/probes.ts';

const NAT_TARGETS = new Set(['MASQUERADE', 'SNAT']);

/**
 * An address outside any cluster network, as the destination of the simulated egress packet
 * (TEST-NET-3, RFC 5737). Nothing is sent: the nat table is evaluated in memory.
 */
const OUTSIDE = '203.0.113.10';

export type EgressNat =
  | { masqueraded: true; rule: string }
  | { masqueraded: false; decidedBy: string | undefined }
  | { masqueraded: 'unknown' };

/** A new TCP connection from a pod of `podCIDR` to an address outside every cluster network. */
export function egressPacket(podCIDR: string): PacketView | undefined {
  const net = parseCidr4(podCIDR);
  if (!net) return undefined;
  return {
    src: formatIPv4((net.base + 2) >>> 0),
    dst: OUTSIDE,
    proto: 'tcp',
    dport: 80,
    ctstates: new Set(['NEW']),
    mark: 0,
    localAddrs: new Set(),
  };
}

/**
 * Where a pod's packet to an address outside the cluster ends in nat POSTROUTING, walking the
 * chains in order as the kernel does: a MASQUERADE that exists but sits behind a RETURN (or a
 * jump that is never taken) does not count. The restore-masquerade repair verifies with this.
 */
export function egressNat(nat: IptablesTable, podCIDR: string): EgressNat {
  const pkt = egressPacket(podCIDR);
  if (!pkt) return { masqueraded: 'unknown' };
  const v = evaluateChain(nat, 'POSTROUTING', pkt);
  const target = v.rule?.target;
  if (target && NAT_TARGETS.has(target))
    return { masqueraded: true, rule: `-A ${v.rule?.chain} ${v.rule?.spec}` };
  // A NAT rule the snapshot cannot judge (an interface or module match) might still apply.
  if (v.uncertain.some((r) => r.target && NAT_TARGETS.has(r.target))) return { masqueraded: 'unknown' };
  const first = (chainRules(nat).get('POSTROUTING') ?? []).find((r) => matchRule(r, pkt) === true);
  return { masqueraded: false, decidedBy: first ? `-A POSTROUTING ${first.spec}` : undefined };
}

/** The old presence check, kept for the cases the evaluator cannot decide. */
export function podMasquerade(nat: IptablesTable, podCIDR: string): string | undefined {
  const byChain = chainRules(nat);
  for (const chain of reachableChains(nat, ['POSTROUTING'])) {
    for (const r of byChain.get(chain) ?? []) {
      const f = parseSpec(r.spec);
      const target = r.target ?? f.target;
      const marked = f.modules.includes('mark');
      if (target === 'RETURN' && marked && f.markNeg && !f.source && !f.destination) break;
      if (!target || !NAT_TARGETS.has(target)) continue;
      if (marked && !f.markNeg) continue;
      if (f.source && (f.sourceNeg || !prefixesOverlap(f.source, podCIDR))) continue;
      if (f.destination && !f.destinationNeg && f.destination !== '0.0.0.0/0') continue;
      return `-A ${r.chain} ${r.spec}`;
    }
  }
  return undefined;
}

function applies(ctx: RuleContext): Applicability {
  return allOf(needsFlannel(ctx), needsNodes(ctx));
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
    const skip = notFlannelNode(ctx, dp) ?? lacksIptables(dp);
    if (skip) return skip;
    const fc = flannelCluster(ctx);
    const probes = probeView(ctx);
    const external = probes.byScenario.get('external') ?? [];
    const out: Finding[] = [];
    const podCIDR = fc.nodes.get(name)?.podCIDR;
    const dumps = iptablesDumps(dp);
    if (!podCIDR || dumps.length === 0) return out;
    if (dp.flannelSubnetEnv?.ipmasq === false) return out;
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
      const cluster = fc.network ?? dp.flannelSubnetEnv?.network;
      const hit = dp.nftRuleset.rules.find(
        (r) =>
          /\bmasquerade\b/.test(r.text) &&
          (r.text.includes(podCIDR) || (!!cluster && r.text.includes(cluster))),
      );
      if (hit) found = hit.text;
    }
    if (found) return out;

    const evidence: Evidence[] = [];
    const cluster = fc.network ?? dp.flannelSubnetEnv?.network ?? podCIDR;
    for (const d of dumps) {
      const nat = d.dump.tables['nat'];
      const post = nat ? (chainRules(nat).get('POSTROUTING') ?? []) : [];
      const flannelChain = nat?.chains['FLANNEL-POSTRTG'] !== undefined;
      const jumps = post.some((r) => (r.target ?? parseSpec(r.spec).target) === 'FLANNEL-POSTRTG');
      if (!nat && d.dump.backend !== 'nf_tables' && dumps.length > 1) continue;
      evidence.push({
        source: nodeSource(name, d.key),
        observed: !nat
          ? `${d.label}: no nat table`
          : flannelChain && !jumps
            ? `${d.label}: FLANNEL-POSTRTG exists but POSTROUTING does not jump to it; POSTROUTING: ${post.map((r) => r.spec).join(' | ') || '(empty)'}`
            : `${d.label}: no MASQUERADE for ${podCIDR} reachable from POSTROUTING${post.length ? ` (POSTROUTING: ${post.map((r) => r.spec).join(' | ')})` : ''}`,
        expected: `-A POSTROUTING -j FLANNEL-POSTRTG and -A FLANNEL-POSTRTG -s ${cluster} ! -d 224.0.0.0/4 -j MASQUERADE --random-fully`,
      });
    }
    if (bypass.length > 0) {
      evidence.unshift({
        source: nodeSource(name, dumps[0]!.key),
        observed: `a packet from ${podCIDR} to ${OUTSIDE} leaves nat POSTROUTING unmasqueraded; it first matches ${bypass.join('; ')}`,
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
