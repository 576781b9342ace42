import type { NodeDatapath, Route } from '../../core/datapath-types.ts';
import type { Evidence, Finding } from '../../core/model.ts';
import { cidrContains } from '../../core/net/cidr.ts';
import type { NodeResult, Rule, RuleContext } from '../rule.ts';
import {
  allOf,
  checkedCni,
  expectedPeer,
  isMainRoute,
  lacksPart,
  linksByName,
  listSome,
  makeFinding,
  needsCheckedCni,
  needsNodes,
  nodeSource,
  nodeSubject,
  notCheckedCniNode,
  type OverlayPeer,
  overlayPeers,
  showRoute,
} from './support/datapath.ts';

const ID = 'cni-routes-missing';

/** For a checked CNI without per-peer kernel routes: nothing fits, nothing is expected. */
const NO_PEER_ROUTES = { expected: () => '', fits: () => false };

const OK = 1;
const WRONG = 2;

/** Seed 004's table: each node's own subnet on cni0 and a route to every peer subnet over the overlay. */
export const cniRoutesMissing: Rule = {
  id: ID,
  layer: 'cni',
  needs: { cluster: ['nodes', 'pods'], node: ['routes', 'links'] },
  title: 'Pod-subnet routes to peer nodes',
  why: 'Without a route to a peer pod subnet, every packet from this node to pods there (DNS included) is lost; a node that silently lost its overlay routes looks exactly like this.',
  appliesTo: (ctx) => allOf(needsCheckedCni(ctx), needsNodes(ctx)),
  runNode: (ctx: RuleContext, dp: NodeDatapath): NodeResult => {
    const name = dp.name;
    const skip = notCheckedCniNode(ctx, dp) ?? lacksPart(dp, 'routes');
    if (skip) return skip;
    const fc = overlayPeers(ctx);
    const cni = checkedCni(ctx);
    const overlayDev = cni.datapath.overlayDevice;
    const bridgeDev = cni.datapath.bridge ?? '';
    const { expected: expectedPeerRoute, fits: routeFits } = cni.datapath.peerRoutes ?? NO_PEER_ROUTES;
    const out: Finding[] = [];
    const self = fc.nodes.get(name);
    if (!dp.routes || !self?.podCIDR) return out;
    const links = dp.links ? linksByName(dp.links) : undefined;
    const backend = self.backendType ?? (links?.has(overlayDev) ? 'vxlan' : undefined);
    const source = nodeSource(name, 'routes');
    const evidence: Evidence[] = [];

    const podCIDR = self.podCIDR;
    const state = new Uint8Array(fc.withCidr.length);
    const wrongRoutes = new Map<number, Route>();
    const own: Route[] = [];
    for (const r of dp.routes) {
      const i = fc.byCidr.get(r.dst);
      if (i === undefined || !isMainRoute(r) || (r.type !== undefined && r.type !== 'unicast')) continue;
      if (r.dst === podCIDR) {
        own.push(r);
        continue;
      }
      if (state[i] === OK) continue;
      if (routeFits(r, fc.withCidr[i]!, backend)) {
        if (state[i] === WRONG) wrongRoutes.delete(i);
        state[i] = OK;
      } else if (state[i] !== WRONG) {
        state[i] = WRONG;
        wrongRoutes.set(i, r);
      }
    }
    const ownOnBridge = own.find((r) => r.dev === bridgeDev);
    const hasPods = (ctx.index.podsByNode.get(name) ?? []).some((p) => !p.spec.hostNetwork);
    const bridge = links?.get(bridgeDev);
    const bridgeMisaddressed =
      bridge !== undefined &&
      !bridge.addrs.some((a) => a.family === 'inet' && cidrContains(podCIDR, a.local));
    const needsLocal = (bridge !== undefined || hasPods) && !bridgeMisaddressed;
    let localBad = false;
    const observed: string[] = [];
    if (ownOnBridge) observed.push(showRoute(ownOnBridge));
    else if (own[0] && !bridgeMisaddressed) {
      localBad = true;
      evidence.push({
        source,
        observed: showRoute(own[0]),
        expected: `${self.podCIDR} dev ${bridgeDev} proto kernel scope link`,
      });
    } else if (needsLocal) {
      localBad = true;
      evidence.push({
        source,
        observed: `no route to its own pod subnet ${self.podCIDR}`,
        expected: `${self.podCIDR} dev ${bridgeDev} proto kernel scope link`,
      });
    }

    let peers = 0;
    const missing: OverlayPeer[] = [];
    const wrong: { peer: OverlayPeer; route: Route; expected: string }[] = [];
    fc.withCidr.forEach((peer, i) => {
      if (!expectedPeer(fc, name, peer)) return;
      peers++;
      if (state[i] === WRONG)
        wrong.push({ peer, route: wrongRoutes.get(i)!, expected: expectedPeerRoute(peer, backend) });
      else if (state[i] !== OK) missing.push(peer);
    });
    if (missing.length === 0 && wrong.length === 0 && !localBad) return out;

    if (missing.length > 0) {
      const cidrs = missing.map((p) => p.podCIDR!);
      observed.push(`NO ROUTES TO ${listSome(cidrs).replace(/, ([^,]*)$/, ' or $1')}`);
      evidence.unshift({
        source,
        observed: observed.join('; '),
        expected: listSome(
          missing.map((p) => expectedPeerRoute(p, backend)),
          4,
        ),
      });
      if (backend === 'vxlan' && links && !links.has(overlayDev)) {
        evidence.push({
          source: nodeSource(name, 'links'),
          observed: `no ${overlayDev} device`,
          expected: `${overlayDev} (${cni.datapath.overlayDeviceDetail})`,
        });
      }
    }
    for (const w of wrong.slice(0, 8)) {
      evidence.push({ source, observed: showRoute(w.route), expected: w.expected });
    }
    if (wrong.length > 8)
      evidence.push({ source, observed: `${wrong.length - 8} more peer routes point the wrong way` });

    const parts: string[] = [];
    if (missing.length > 0) {
      parts.push(
        `has no routes to ${listSome(
          missing.map((p) => p.podCIDR!),
          4,
        ).replace(/, ([^,]*)$/, ' and $1')}`,
      );
    }
    if (wrong.length > 0)
      parts.push(
        `routes ${listSome(
          wrong.map((w) => w.peer.podCIDR!),
          4,
        )} the wrong way`,
      );
    if (localBad) parts.push(`has no ${bridgeDev} route to its own subnet ${self.podCIDR}`);
    const all = peers > 0 && missing.length === peers;
    out.push(
      makeFinding(cniRoutesMissing, nodeSubject(name), {
        severity: all ? 'critical' : 'error',
        summary: `${name} ${parts.join(', ')}`,
        evidence,
        cause: {
          category: 'cni.routes-missing',
          confidence: missing.length > 0 ? (all ? 0.9 : 0.85) : 0.8,
          remediation:
            localBad && missing.length === 0 && wrong.length === 0
              ? ['reset-cni-bridge']
              : ['restart-cni-agent'],
        },
        nextCommands: [
          `ip route show | grep -E '${bridgeDev}|${overlayDev}'`,
          `kubectl get pods -A -l ${cni.agent.podLabels[0]?.join('=')} -o wide --field-selector spec.nodeName=${name}`,
        ],
      }),
    );

    return out;
  },
};
