import type { NodeDatapath } from '../../core/datapath-types.ts';
import type { Evidence, Finding } from '../../core/model.ts';
import { cidrContains } from '../../core/net/cidr.ts';
import { firstHost, parseCidr4 } from '../../core/net/ipv4.ts';
import type { Applicability, NodeResult, Rule, RuleContext } from '../rule.ts';
import {
  allOf,
  checkedCni,
  DEFAULT_CHECKED_CNI,
  lacksPart,
  linksByName,
  makeFinding,
  needsNodes,
  nodeSource,
  nodeSubject,
  overlayPeers,
} from './support/datapath.ts';

/** The bridge this rule checks: the cluster CNI's, or the default checked one's when the CNI is unknown. */
const CNI_BRIDGE = DEFAULT_CHECKED_CNI.datapath.bridge ?? '';

function bridgeCni(ctx: RuleContext): Applicability {
  const cni = ctx.index.cniAdapter;
  if (cni && cni.datapath.bridge === undefined) {
    return { applies: false, reason: `${cni.id} does not attach pods to the ${CNI_BRIDGE} bridge` };
  }
  return { applies: true };
}

/** Seed 002: cni0 must carry the `.1` gateway of the node's own pod subnet, with that subnet's prefix. */
export const cniBridgeAddressMismatch: Rule = {
  id: 'cni-bridge-address-mismatch',
  layer: 'cni',
  needs: { cluster: ['nodes'], node: ['links'] },
  title: 'cni0 address matches the node pod subnet',
  why: "Pods use cni0's address as their gateway; with an address outside the node's pod subnet even same-node pods cannot reach each other.",
  appliesTo: (ctx) => allOf(bridgeCni(ctx), needsNodes(ctx)),
  runNode: (ctx: RuleContext, dp: NodeDatapath): NodeResult => {
    const name = dp.name;
    const skip = lacksPart(dp, 'links');
    if (skip) return skip;
    const fc = overlayPeers(ctx);
    const out: Finding[] = [];
    const podCIDR = fc.nodes.get(name)?.podCIDR;
    const bridge = dp.links ? linksByName(dp.links).get(CNI_BRIDGE) : undefined;
    if (!podCIDR || !bridge) return out;
    const pod = parseCidr4(podCIDR);
    const want = `${pod && firstHost(pod)}/${pod?.prefix}`;
    const v4addrs = bridge.addrs.filter((a) => a.family === 'inet');
    const have = v4addrs.map((a) => `${a.local}/${a.prefixlen}`);
    const wrong = have.filter((a) => a !== want);
    const outside = v4addrs
      .filter((a) => !cidrContains(podCIDR, a.local))
      .map((a) => `${a.local}/${a.prefixlen}`);
    if (v4addrs.length > 0 && wrong.length === 0) return out;
    const evidence: Evidence[] = [
      {
        source: nodeSource(name, 'links'),
        observed: `${CNI_BRIDGE}: ${have.length > 0 ? have.map((a) => `inet ${a}`).join(', ') : 'no IPv4 address'}`,
        expected: `${CNI_BRIDGE}: inet ${want} (gateway of node pod subnet ${podCIDR})`,
      },
    ];
    const agent = checkedCni(ctx).nodeAgentState(dp);
    if (agent?.subnet)
      evidence.push({
        source: nodeSource(name, agent.part),
        observed: `${agent.keys.subnet}=${agent.subnet}`,
      });
    const summary =
      v4addrs.length === 0
        ? `${CNI_BRIDGE} on ${name} has no IPv4 address (expected ${want})`
        : outside.length > 0
          ? `${CNI_BRIDGE} on ${name} carries ${outside.join(', ')}, outside its pod subnet ${podCIDR}`
          : `${CNI_BRIDGE} on ${name} carries ${wrong.join(', ')} instead of ${want}`;
    out.push(
      makeFinding(cniBridgeAddressMismatch, nodeSubject(name), {
        severity: 'error',
        summary,
        evidence,
        cause: {
          category: 'cni.bridge-address-mismatch',
          confidence: outside.length > 0 ? 0.9 : v4addrs.length === 0 ? 0.6 : 0.8,
          remediation: ['reset-cni-bridge'],
        },
        nextCommands: [`ip -4 addr show ${CNI_BRIDGE}`, ...checkedCni(ctx).statusCommands],
      }),
    );

    return out;
  },
};
