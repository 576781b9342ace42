/**
 * The underlay hop: the encapsulated (or directly routed) packet leaving the source node for
 * the peer, its route, MTU and the node's own OUTPUT hooks.
 */
import { VXLAN_OVERHEAD } from '../../cni/vxlan.ts';
import { nodeFile } from '../../collect/bundle/layout.ts';
import type { Link, NodeDatapath } from '../../core/datapath-types.ts';
import type { Evidence } from '../../core/model.ts';
import { activeIptables } from '../active-iptables.ts';
import { formatRoute } from '../format.ts';
import { chainPolicy } from '../iptables-chains.ts';
import { evaluateChain } from '../iptables-eval.ts';
import { DISCARD_ROUTE_TYPES, lookupRoute } from '../route-lookup.ts';
import type { NodeFacts } from '../trace-cluster.ts';
import { hookDrop } from './hook-drop.ts';
import type { Walk } from './walk.ts';

/** The encapsulated (or directly routed) packet on the underlay; returns the underlay device. */
export function underlayHop(
  w: Walk,
  node: NodeFacts,
  dp: NodeDatapath,
  remote: string,
  overlay: Link | undefined,
): string | undefined {
  const source = nodeFile(node.name, 'routes');
  const port = overlay?.vxlan?.port;
  const base = {
    kind: 'underlay' as const,
    node: node.name,
    to: remote,
    ...(overlay?.vxlan?.local ? { from: overlay.vxlan.local } : {}),
    ...(port !== undefined ? { port } : {}),
  };
  if (!overlay) {
    // host-gw style: the node route already sends the pod packet straight to the peer.
    w.add({
      ...base,
      status: 'ok',
      summary: `routed directly to ${remote} (no encapsulation)`,
      evidence: [],
    });
    return 'direct';
  }
  if (!dp.routes) {
    w.add({
      ...base,
      status: 'unknown',
      summary: `routes were not collected from ${node.name}`,
      reason: `routes were not collected from ${node.name}`,
      evidence: [],
    });
    return overlay.vxlan?.dev ?? 'unknown';
  }
  const r = lookupRoute(dp.routes, remote);
  if (!r || r.dev === overlay.ifname || (r.type && DISCARD_ROUTE_TYPES.has(r.type))) {
    w.add({
      ...base,
      status: 'broken',
      summary: `${node.name} cannot reach ${remote} on the underlay`,
      reason: r
        ? `${node.name} routes the VXLAN remote ${remote} via ${formatRoute(r)}`
        : `${node.name} has no route to the VXLAN remote ${remote}`,
      evidence: [
        {
          source,
          observed: r ? formatRoute(r) : 'no route',
          expected: `a route to ${remote} over the node network`,
        },
      ],
    });
    return undefined;
  }
  const underDev = dp.links?.find((l) => l.ifname === r.dev);
  const ev: Evidence[] = [{ source, observed: formatRoute(r) }];
  let note = '';
  if (underDev && overlay.mtu + VXLAN_OVERHEAD > underDev.mtu) {
    note = `; ${overlay.ifname} MTU ${overlay.mtu} + ${VXLAN_OVERHEAD} exceeds ${underDev.ifname} MTU ${underDev.mtu}, large packets will not fit`;
    ev.push({
      source: nodeFile(node.name, 'links'),
      observed: `${overlay.ifname} mtu ${overlay.mtu}, ${underDev.ifname} mtu ${underDev.mtu}`,
      expected: `${overlay.ifname} mtu <= ${underDev.mtu - VXLAN_OVERHEAD}`,
    });
  }
  // The encapsulated packet is the node's own traffic: it crosses the OUTPUT hooks.
  const active = activeIptables(dp);
  const filter = active?.dump.tables['filter'];
  if (port !== undefined) {
    const pkt = w.packet(dp, overlay.vxlan?.local ?? '', remote, 'udp', port, undefined, r.dev, false);
    const blocked = hookDrop(w, node.name, dp, 'OUTPUT', pkt, active);
    if (blocked) {
      w.add({
        ...base,
        status: 'broken',
        vxlanBlocked: true,
        dev: r.dev ?? '',
        summary: `${node.name} blocks VXLAN (udp/${port}) to ${remote}`,
        reason: `${node.name} ${blocked.where} ${blocked.verdict}s VXLAN to ${remote} udp/${port}: ${blocked.what}`,
        evidence: [...ev, blocked.evidence],
      });
      return undefined;
    }
  }
  if (active && filter && port !== undefined) {
    const v = evaluateChain(
      filter,
      'OUTPUT',
      w.packet(dp, overlay.vxlan?.local ?? '', remote, 'udp', port, undefined, r.dev, false),
    );
    if (v.verdict !== 'accept') {
      const what = v.rule ? `-A ${v.rule.chain} ${v.rule.spec}` : `policy ${chainPolicy(filter, 'OUTPUT')}`;
      w.add({
        ...base,
        status: 'broken',
        vxlanBlocked: true,
        dev: r.dev ?? '',
        summary: `${node.name} blocks VXLAN (udp/${port}) to ${remote}`,
        reason: `${node.name} filter OUTPUT ${v.verdict}s VXLAN to ${remote} udp/${port}: ${what}`,
        evidence: [...ev, { source: nodeFile(node.name, active.key), observed: what }],
      });
      return undefined;
    }
  }
  const vni = overlay.vxlan?.id !== undefined ? `VNI ${overlay.vxlan.id}, ` : '';
  w.add({
    ...base,
    status: 'ok',
    ...(r.dev ? { dev: r.dev } : {}),
    summary: `VXLAN (${vni}udp/${port ?? '?'}) ${overlay.vxlan?.local ?? ''} -> ${remote} via ${r.dev ?? r.gateway}${note}`,
    evidence: ev,
  });
  return r.dev ?? 'unknown';
}
