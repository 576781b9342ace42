/**
 * Whether a node takes in a packet to forward it at all, before any route is chosen: IP
 * forwarding, and reverse-path filtering on the interface it came in on. Both report as
 * node-route hops.
 */
import { nodeFile } from '../../collect/bundle/layout.ts';
import type { NodeDatapath } from '../../core/datapath-types.ts';
import { formatRoute } from '../format.ts';
import { routeFor } from '../policy-routing.ts';
import type { NodeFacts } from '../trace-cluster.ts';
import type { Walk } from './walk.ts';

/** A packet that came in on an interface is routed on only when the node forwards; false to stop. */
export function forwardingHop(w: Walk, node: NodeFacts, dp: NodeDatapath): boolean {
  const v = dp.sysctls?.['net.ipv4.ip_forward'];
  if (v !== '0') return true;
  return w.add({
    kind: 'node-route',
    node: node.name,
    dst: w.dst,
    forwardingOff: true,
    status: 'broken',
    summary: `${node.name} does not forward packets`,
    reason: `${node.name} does not forward ${w.describePacket(w.src)}: net.ipv4.ip_forward is 0`,
    evidence: [
      {
        source: nodeFile(node.name, 'sysctls'),
        observed: 'net.ipv4.ip_forward = 0',
        expected: 'net.ipv4.ip_forward = 1',
      },
    ],
  });
}

/**
 * Reverse-path filtering on the interface a packet came in on: strict mode (1) drops it when
 * the route back to its source leaves by another interface, loose mode (2) when there is no
 * route back at all. The stricter of `all` and `default` applies (a new interface takes
 * `default`). False to stop.
 */
export function rpFilterHop(w: Walk, node: NodeFacts, dp: NodeDatapath, iif: string): boolean {
  const all = Number(dp.sysctls?.['net.ipv4.conf.all.rp_filter'] ?? 0);
  const def = Number(dp.sysctls?.['net.ipv4.conf.default.rp_filter'] ?? 0);
  const mode = Math.max(Number.isFinite(all) ? all : 0, Number.isFinite(def) ? def : 0);
  if (mode === 0 || !dp.routes) return true;
  const back = routeFor(dp.routes, dp.ipRules, { src: w.dst, dst: w.src });
  const backDev = back.kind === 'route' ? back.route.dev : undefined;
  const ok = mode === 1 ? backDev === iif : back.kind === 'route';
  if (ok) return true;
  const shown = back.kind === 'route' ? formatRoute(back.route) : 'no route';
  return w.add({
    kind: 'node-route',
    node: node.name,
    dst: w.dst,
    rpFilter: true,
    status: 'broken',
    summary: `${node.name} drops the packet from ${w.src} by reverse-path filtering`,
    reason: `${node.name} drops ${w.describePacket(w.src)} arriving on ${iif}: rp_filter is ${mode === 1 ? 'strict' : 'loose'} and the route back to ${w.src} is ${shown}`,
    evidence: [
      {
        source: nodeFile(node.name, 'sysctls'),
        observed: `net.ipv4.conf.all.rp_filter = ${all}, net.ipv4.conf.default.rp_filter = ${def}`,
      },
      {
        source: nodeFile(node.name, 'routes'),
        observed: `route back to ${w.src}: ${shown}`,
        expected: mode === 1 ? `a route back via ${iif}` : 'a route back',
      },
    ],
  });
}
