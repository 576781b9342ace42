/** The egress-nat hop: a pod's packet leaving the cluster must be masqueraded on its way out. */
import { nodeFile } from '../../collect/bundle/layout.ts';
import type { NodeDatapath } from '../../core/datapath-types.ts';
import { activeIptables } from '../active-iptables.ts';
import { chainPolicy } from '../iptables-chains.ts';
import { evaluateChain } from '../iptables-eval.ts';
import type { Walk } from './walk.ts';

/**
 * nat POSTROUTING for a pod's packet leaving the cluster: a MASQUERADE or SNAT rule must take
 * it. Unknown (no nat table collected) passes; false to stop.
 */
export function egressNatHop(
  w: Walk,
  node: string,
  dp: NodeDatapath,
  srcIp: string,
  outIface: string | undefined,
): boolean {
  const active = activeIptables(dp);
  const nat = active?.dump.tables['nat'];
  if (!active || !nat || chainPolicy(nat, 'POSTROUTING') === undefined) return true;
  const pkt = w.packet(dp, srcIp, w.dst, w.protocol, w.port, undefined, outIface, w.dnat);
  const v = evaluateChain(nat, 'POSTROUTING', pkt);
  const target = v.rule?.target;
  const masqueraded = target === 'MASQUERADE' || target === 'SNAT';
  const what = v.rule
    ? `-A ${v.rule.chain} ${v.rule.spec}`
    : `policy ${chainPolicy(nat, 'POSTROUTING')}, no rule`;
  const source = nodeFile(node, active.key);
  // Rules netdoctor cannot judge (sets, marks it does not know) may masquerade: no verdict then.
  if (!masqueraded && v.uncertain.some((r) => r.target === 'MASQUERADE' || r.target === 'SNAT')) return true;
  return w.add({
    kind: 'egress-nat',
    node,
    masqueraded,
    ...(v.rule ? { rule: what } : {}),
    status: masqueraded ? 'ok' : 'broken',
    summary: masqueraded
      ? `${srcIp} is masqueraded leaving ${node} (${what})`
      : `${node} does not masquerade ${srcIp} leaving the cluster`,
    ...(masqueraded
      ? {}
      : {
          reason: `${node} sends ${w.describePacket(srcIp)} out of the cluster unmasqueraded (nat POSTROUTING: ${what}): the answer cannot find its way back to a pod address`,
        }),
    evidence: [
      {
        source,
        observed: `nat POSTROUTING: ${what}`,
        ...(masqueraded ? {} : { expected: `-j MASQUERADE for ${srcIp} leaving the cluster` }),
      },
    ],
  });
}
