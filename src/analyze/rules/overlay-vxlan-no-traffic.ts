import { LINUX_VXLAN_PORT } from '../../cni/vxlan.ts';
import type { NodeDatapath } from '../../core/datapath-types.ts';
import type { Finding } from '../../core/model.ts';
import type { NodeResult, Rule, RuleContext } from '../rule.ts';
import {
  allOf,
  lacksPart,
  listSome,
  makeFinding,
  needsNodes,
  nodeSource,
  overlayPorts,
} from './support/datapath.ts';
import {
  describeProbe,
  needsProbes,
  POD_TO_POD,
  probeSource,
  probeView,
  ranProbe,
} from './support/probes.ts';

/** The overlay capture saw no packets to or from a peer while cross-node probes between them ran (seed 000). */
export const overlayVxlanNoTraffic: Rule = {
  id: 'overlay-vxlan-no-traffic',
  layer: 'overlay',
  needs: { cluster: ['nodes'], node: ['vxlanCapture'] },
  title: 'VXLAN traffic seen while probing',
  why: `If probes ran between two nodes and not one VXLAN packet was seen, traffic never reached the overlay or never left the node: routes, FDB, the firewall or the switch (VLAN, UDP ${LINUX_VXLAN_PORT}).`,
  appliesTo: (ctx) => allOf(needsNodes(ctx), needsProbes(ctx, POD_TO_POD)),
  runNode: (ctx: RuleContext, dp: NodeDatapath): NodeResult => {
    const name = dp.name;
    const skip = lacksPart(dp, 'vxlanCapture');
    if (skip) return skip;
    const v = probeView(ctx);
    const out: Finding[] = [];
    const cap = dp.vxlanCapture;
    if (!cap || overlayPorts(dp).length === 0) return out;
    const ran = (v.crossByNode.get(name) ?? []).filter(ranProbe);
    const peers = new Map<string, (typeof ran)[number]>();
    for (const r of ran) {
      const peer = r.from.node === name ? r.to.node! : r.from.node!;
      if (!peers.has(peer)) peers.set(peer, r);
    }
    const silent: string[] = [];
    for (const peer of [...peers.keys()].sort()) {
      const ip = ctx.index.internalIpByNode.get(peer);
      if (ip && (cap.packetsByPeer[ip] ?? 0) === 0) silent.push(peer);
    }
    if (silent.length === 0) return out;
    const first = peers.get(silent[0]!)!;
    out.push(
      makeFinding(
        overlayVxlanNoTraffic,
        { kind: 'Node', name },
        {
          severity: 'warning',
          summary: `no VXLAN packets on ${name} to or from ${listSome(silent, 5)} while probes between them ran`,
          evidence: [
            {
              source: nodeSource(name, 'vxlanCapture'),
              observed: `${cap.iface} udp/${cap.port} over ${cap.seconds}s: ${silent
                .slice(0, 5)
                .map((p) => `${ctx.index.internalIpByNode.get(p)} (${p}) 0 packets`)
                .join(', ')}; ${cap.total} packets in total`,
              expected: 'packets to and from every peer probed',
            },
            { source: probeSource(first), observed: describeProbe(first) },
          ],
          symptom: { kind: 'vxlan-no-traffic', nodes: [name, ...silent] },
        },
      ),
    );

    return out;
  },
};
