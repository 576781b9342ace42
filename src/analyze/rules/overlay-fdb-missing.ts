import type { FdbEntry, Neighbor, NodeDatapath } from '../../core/datapath-types.ts';
import type { Evidence, Finding } from '../../core/model.ts';
import type { NodeResult, Rule, RuleContext } from '../rule.ts';
import {
  allOf,
  checkedCni,
  DEFAULT_CHECKED_CNI,
  expectedPeer,
  lacksPart,
  linksByName,
  listSome,
  makeFinding,
  needsCheckedCni,
  needsNodes,
  nodeSource,
  nodeSubject,
  notCheckedCniNode,
  overlayPeers,
} from './support/datapath.ts';

/** FDB entries on the overlay device (flannel.1) by lower-case MAC, for peers whose VtepMAC is not annotated. */
function learnedFdb(fdb: FdbEntry[], overlayDev: string): Map<string, FdbEntry[]> {
  const m = new Map<string, FdbEntry[]>();
  for (const e of fdb) {
    if (e.dev !== overlayDev) continue;
    const k = e.mac.toLowerCase();
    const l = m.get(k);
    if (l) l.push(e);
    else m.set(k, [e]);
  }
  return m;
}

/**
 * Flannel VXLAN: for each peer, a permanent neighbour `<peer .0> lladdr <VtepMAC> dev flannel.1`
 * and an FDB entry `<VtepMAC> dev flannel.1 dst <peer public IP>`.
 */
export const overlayFdbMissing: Rule = {
  id: 'overlay-fdb-missing',
  layer: 'overlay',
  needs: { cluster: ['nodes'], node: ['links', 'fdb', 'neighbors'] },
  title: 'VXLAN neighbour and FDB entries for every peer',
  why: `${DEFAULT_CHECKED_CNI.datapath.overlayDevice} learns nothing by itself: without the neighbour and FDB entries for a peer, packets to its pods are dropped or sent to the wrong node.`,
  appliesTo: (ctx) => {
    const fc = overlayPeers(ctx);
    const vxlan = fc.backendType === undefined || fc.backendType === 'vxlan';
    return allOf(
      needsCheckedCni(ctx),
      vxlan
        ? { applies: true }
        : {
            applies: false,
            reason: `${checkedCni(ctx).displayName} runs the ${fc.backendType} backend, not vxlan`,
          },
      needsNodes(ctx),
    );
  },
  runNode: (ctx: RuleContext, dp: NodeDatapath): NodeResult => {
    const name = dp.name;
    const skip = notCheckedCniNode(ctx, dp) ?? lacksPart(dp, 'fdb', 'neighbors');
    if (skip) return skip;
    const fc = overlayPeers(ctx);
    const overlayDev = checkedCni(ctx).datapath.overlayDevice;
    const out: Finding[] = [];
    if (!dp.fdb || !dp.neighbors) return out;
    const self = fc.nodes.get(name);
    if (!self?.podCIDR) return out;
    if (self.backendType !== undefined && self.backendType !== 'vxlan') return out;
    if (dp.links && !linksByName(dp.links).has(overlayDev)) return out;
    const n = fc.withCidr.length;
    const neighOk = new Uint8Array(n);
    const neighSeen = new Map<number, Neighbor>();
    for (const nb of dp.neighbors) {
      if (nb.dev !== overlayDev) continue;
      const i = fc.byGateway.get(nb.dst);
      if (i === undefined) continue;
      const mac = fc.withCidr[i]!.vtepMac;
      if (!mac || nb.lladdr === mac || nb.lladdr?.toLowerCase() === mac) neighOk[i] = 1;
      else if (!neighSeen.has(i)) neighSeen.set(i, nb);
      if (!mac && !neighSeen.has(i)) neighSeen.set(i, nb);
    }
    const fdbOk = new Uint8Array(n);
    const fdbSeen = new Map<number, FdbEntry[]>();
    let byLearnedMac: Map<string, FdbEntry[]> | undefined;
    for (const e of dp.fdb) {
      if (e.dev !== overlayDev || !e.dst) continue;
      const i = fc.byMac.get(e.mac) ?? fc.byMac.get(e.mac.toLowerCase());
      if (i === undefined) continue;
      if (e.dst === fc.withCidr[i]!.publicIp) fdbOk[i] = 1;
      else {
        const l = fdbSeen.get(i);
        if (l) l.push(e);
        else fdbSeen.set(i, [e]);
      }
    }
    const neighEv: Evidence[] = [];
    const fdbEv: Evidence[] = [];
    const missingPeers: string[] = [];
    const wrongPeers: string[] = [];
    fc.withCidr.forEach((peer, i) => {
      if (!expectedPeer(fc, name, peer) || !peer.vtepGateway) return;
      const gw = peer.vtepGateway;
      let bad: 'missing' | 'wrong' | undefined;
      const seen = neighSeen.get(i);
      if (!peer.vtepMac ? !seen : !neighOk[i]) {
        bad = seen ? 'wrong' : 'missing';
        neighEv.push(
          seen
            ? {
                source: nodeSource(name, 'neighbors'),
                observed: `${gw} dev ${overlayDev} lladdr ${seen.lladdr ?? '<none>'} ${seen.state.join(',')}`,
                expected: `${gw} dev ${overlayDev} lladdr ${peer.vtepMac} PERMANENT (${peer.name}'s VtepMAC)`,
              }
            : {
                source: nodeSource(name, 'neighbors'),
                observed: `no neighbour for ${gw} on ${overlayDev} (${peer.name})`,
                expected: `${gw} dev ${overlayDev} lladdr ${peer.vtepMac ?? '<VtepMAC>'} PERMANENT`,
              },
        );
      }
      let mac = peer.vtepMac;
      let ok = fdbOk[i] === 1;
      let others = fdbSeen.get(i) ?? [];
      if (!mac && seen?.lladdr) {
        mac = seen.lladdr.toLowerCase();
        byLearnedMac ??= learnedFdb(dp.fdb ?? [], overlayDev);
        const entries = byLearnedMac.get(mac) ?? [];
        ok = entries.some((e) => e.dst === peer.publicIp);
        others = entries.filter((e) => e.dst && e.dst !== peer.publicIp);
      }
      if (mac && !ok) {
        if (others.length === 0) {
          bad ??= 'missing';
          fdbEv.push({
            source: nodeSource(name, 'fdb'),
            observed: `no FDB entry for ${mac} on ${overlayDev} (${peer.name})`,
            expected: `${mac} dev ${overlayDev} dst ${peer.publicIp ?? '<peer IP>'} self permanent`,
          });
        } else {
          bad = 'wrong';
          fdbEv.push({
            source: nodeSource(name, 'fdb'),
            observed: `${mac} dev ${overlayDev} dst ${others.map((e) => e.dst).join(',')}`,
            expected: `${mac} dev ${overlayDev} dst ${peer.publicIp} (${peer.name})`,
          });
        }
      }
      if (bad === 'missing') missingPeers.push(peer.name);
      else if (bad === 'wrong') wrongPeers.push(peer.name);
    });
    if (missingPeers.length === 0 && wrongPeers.length === 0) return out;
    const evidence = [...neighEv, ...fdbEv];
    const shown = evidence.slice(0, 12);
    if (evidence.length > shown.length) {
      shown.push({
        source: nodeSource(name, 'fdb'),
        observed: `${evidence.length - shown.length} more entries wrong or missing`,
      });
    }
    const parts: string[] = [];
    if (missingPeers.length > 0) parts.push(`lacks VXLAN entries for ${listSome(missingPeers, 5)}`);
    if (wrongPeers.length > 0)
      parts.push(`has VXLAN entries pointing at the wrong node for ${listSome(wrongPeers, 5)}`);
    out.push(
      makeFinding(overlayFdbMissing, nodeSubject(name), {
        severity: 'error',
        summary: `${name} ${parts.join(' and ')}`,
        evidence: shown,
        cause: { category: 'overlay.fdb-missing', confidence: 0.85, remediation: ['restart-cni-agent'] },
        nextCommands: [`bridge fdb show dev ${overlayDev}`, `ip neigh show dev ${overlayDev}`],
      }),
    );

    return out;
  },
};
