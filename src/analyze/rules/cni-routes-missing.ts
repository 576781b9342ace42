import type { NodeDatapath, Route } from '../../core/datapath-types.ts';
import type { Evidence, Finding } from '../../core/model.ts';
import { cidrContains } from '../../core/net/cidr.ts';
import { RecordKeys } from '../record-delta.ts';
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
  type OverlayPeers,
  overlayPeers,
  showRoute,
} from './support/datapath.ts';

const ID = 'cni-routes-missing';

/** For a checked CNI without per-peer kernel routes: nothing fits, nothing is expected. */
const NO_PEER_ROUTES = { expected: () => '', fits: () => false };

const OK = 1;
const WRONG = 2;

/**
 * Main-table unicast routes by the peer whose pod subnet they lead to (its index in
 * `withCidr`), once per cluster view.
 */
const routeKeysCache = new WeakMap<OverlayPeers, RecordKeys<Route>>();
function routeKeys(fc: OverlayPeers): RecordKeys<Route> {
  let k = routeKeysCache.get(fc);
  if (!k) {
    k = new RecordKeys<Route>((r) => {
      const i = fc.byCidr.get(r.dst);
      return i === undefined || !isMainRoute(r) || (r.type !== undefined && r.type !== 'unicast') ? -1 : i;
    });
    routeKeysCache.set(fc, k);
  }
  return k;
}

/** How many peers every node is expected to have programmed, and which of them are. */
const expectedCache = new WeakMap<OverlayPeers, { count: number; names: Set<string> }>();
function expectedPeerCount(fc: OverlayPeers, self: string): number {
  let e = expectedCache.get(fc);
  if (!e) {
    const names = new Set<string>();
    let count = 0;
    for (const p of fc.withCidr) {
      if (!expectedPeer(fc, '', p)) continue;
      count++;
      names.add(p.name);
    }
    e = { count, names };
    expectedCache.set(fc, e);
  }
  return e.count - (e.names.has(self) ? 1 : 0);
}

/**
 * One peer's routes judged: undefined when one fits (the first that fits is enough), else the
 * first route that does not (null when there is none: the route is missing).
 */
function judgeRoutes(routes: readonly Route[], fits: (r: Route) => boolean): Route | null | undefined {
  let wrong: Route | null = null;
  for (const r of routes) {
    if (fits(r)) return undefined;
    wrong ??= r;
  }
  return wrong;
}

/** A base's peers judged once per backend: those with no fitting route, ascending, and the first wrong route. */
type BaseVerdict = ReadonlyMap<number, Route | null>;
const baseVerdicts = new WeakMap<
  OverlayPeers,
  WeakMap<readonly Route[], Map<string | undefined, BaseVerdict>>
>();

/**
 * Which peers' subnets a node's routes do not reach the way the CNI would, in peer order, each
 * with the first wrong route (or null when it has none), and the routes to its own subnet. A list
 * read from shared records is judged against its base: each of the base's peers once, and on the
 * node only the peers whose routes differ from the base's.
 */
function judgePeers(
  fc: OverlayPeers,
  routes: readonly Route[],
  podCIDR: string,
  fits: (r: Route, i: number) => boolean,
  backend: string | undefined,
): { own: Route[]; bad: [number, Route | null][] } {
  const keys = routeKeys(fc);
  const selfKey = fc.byCidr.get(podCIDR);
  const delta = keys.delta(routes);
  if (!delta) {
    // One pass over the routes, as a list parsed from one text has no base to share.
    const state = new Uint8Array(fc.withCidr.length);
    const wrongRoutes = new Map<number, Route>();
    const own: Route[] = [];
    for (const r of routes) {
      const i = fc.byCidr.get(r.dst);
      if (i === undefined || !isMainRoute(r) || (r.type !== undefined && r.type !== 'unicast')) continue;
      if (i === selfKey) {
        own.push(r);
        continue;
      }
      if (state[i] === OK) continue;
      if (fits(r, i)) {
        if (state[i] === WRONG) wrongRoutes.delete(i);
        state[i] = OK;
      } else if (state[i] !== WRONG) {
        state[i] = WRONG;
        wrongRoutes.set(i, r);
      }
    }
    const bad: [number, Route | null][] = [];
    for (let i = 0; i < state.length; i++) if (state[i] !== OK) bad.push([i, wrongRoutes.get(i) ?? null]);
    return { own, bad };
  }
  let perBase = baseVerdicts.get(fc);
  if (!perBase) {
    perBase = new WeakMap();
    baseVerdicts.set(fc, perBase);
  }
  let perBackend = perBase.get(delta.base);
  if (!perBackend) {
    perBackend = new Map();
    perBase.set(delta.base, perBackend);
  }
  let verdict = perBackend.get(backend);
  if (!verdict) {
    const v = new Map<number, Route | null>();
    for (let i = 0; i < fc.withCidr.length; i++) {
      const w = judgeRoutes(keys.baseRecordsOf(delta.base, i), (r) => fits(r, i));
      if (w !== undefined) v.set(i, w);
    }
    verdict = v;
    perBackend.set(backend, verdict);
  }
  const bad = new Map<number, Route | null>();
  for (const [i, w] of verdict) if (!delta.touched.has(i) && i !== selfKey) bad.set(i, w);
  for (const i of delta.touched) {
    if (i === selfKey) continue;
    const w = judgeRoutes(delta.recordsOf(i), (r) => fits(r, i));
    if (w !== undefined) bad.set(i, w);
  }
  // The node's own subnet is never a peer it routes to: no route to it counts as fitting or wrong.
  if (selfKey !== undefined) bad.set(selfKey, null);
  return {
    own: selfKey === undefined ? [] : delta.recordsOf(selfKey),
    bad: [...bad].sort((a, b) => a[0] - b[0]),
  };
}

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
    const { own, bad } = judgePeers(
      fc,
      dp.routes,
      podCIDR,
      (r, i) => routeFits(r, fc.withCidr[i]!, backend),
      backend,
    );
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

    const peers = expectedPeerCount(fc, name);
    const missing: OverlayPeer[] = [];
    const wrong: { peer: OverlayPeer; route: Route; expected: string }[] = [];
    for (const [i, w] of bad) {
      const peer = fc.withCidr[i]!;
      if (!expectedPeer(fc, name, peer)) continue;
      if (w) wrong.push({ peer, route: w, expected: expectedPeerRoute(peer, backend) });
      else missing.push(peer);
    }
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
