import type { FdbEntry, Neighbor, NodeDatapath } from '../../core/datapath-types.ts';
import type { Evidence, Finding } from '../../core/model.ts';
import { RecordKeys } from '../record-delta.ts';
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
  type OverlayPeer,
  type OverlayPeers,
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

/** What a node holds for one peer on the overlay device. */
interface PeerEntries {
  /** A neighbour with the peer's VtepMAC (any neighbour when the MAC is not annotated). */
  neighOk: boolean;
  /** The first neighbour that is not (the first one when the MAC is not annotated). */
  seen: Neighbor | undefined;
  /** An FDB entry for the VtepMAC pointing at the peer's public IP. */
  fdbOk: boolean;
  /** Those pointing elsewhere, in order. */
  others: FdbEntry[];
}

function peerEntries(peer: OverlayPeer, neighs: readonly Neighbor[], fdbs: readonly FdbEntry[]): PeerEntries {
  const mac = peer.vtepMac;
  let neighOk = false;
  let seen: Neighbor | undefined;
  for (const nb of neighs) {
    if (!mac || nb.lladdr === mac || nb.lladdr?.toLowerCase() === mac) neighOk = true;
    else seen ??= nb;
    if (!mac) seen ??= nb;
  }
  let fdbOk = false;
  const others: FdbEntry[] = [];
  for (const e of fdbs) {
    if (e.dst === peer.publicIp) fdbOk = true;
    else others.push(e);
  }
  return { neighOk, seen, fdbOk, others };
}

/**
 * Neighbours by the peer whose VTEP gateway they are for, FDB entries by the peer whose VtepMAC
 * they carry (positions in `withCidr`), on the overlay device; once per cluster view and device.
 */
const keysCache = new WeakMap<OverlayPeers, Map<string, EntryKeys>>();
interface EntryKeys {
  neigh: RecordKeys<Neighbor>;
  fdb: RecordKeys<FdbEntry>;
  /** The peers a pair of bases lacks an entry for: judged once per pair. */
  lacking: WeakMap<readonly Neighbor[], WeakMap<readonly FdbEntry[], number[]>>;
}
function entryKeys(fc: OverlayPeers, overlayDev: string): EntryKeys {
  let byDev = keysCache.get(fc);
  if (!byDev) {
    byDev = new Map();
    keysCache.set(fc, byDev);
  }
  let k = byDev.get(overlayDev);
  if (!k) {
    k = {
      neigh: new RecordKeys<Neighbor>((nb) =>
        nb.dev === overlayDev ? (fc.byGateway.get(nb.dst) ?? -1) : -1,
      ),
      fdb: new RecordKeys<FdbEntry>((e) =>
        e.dev === overlayDev && e.dst ? (fc.byMac.get(e.mac) ?? fc.byMac.get(e.mac.toLowerCase()) ?? -1) : -1,
      ),
      lacking: new WeakMap(),
    };
    byDev.set(overlayDev, k);
  }
  return k;
}

/** Whether a peer with a VtepMAC lacks a good neighbour or FDB entry. */
function lacking(e: PeerEntries): boolean {
  return !e.neighOk || !e.fdbOk;
}

/**
 * The peers whose entries the rule must look at on a node, ascending, each with what the node
 * holds for it: those that lack a right entry, and those without an annotated VtepMAC (whose
 * FDB entries are found through the neighbour); every other peer has both entries right. When
 * both lists were read from shared records, each pair of bases is judged once, and on the node
 * only the peers whose entries differ from the bases'.
 */
function peersToJudge(
  fc: OverlayPeers,
  overlayDev: string,
  neighbors: readonly Neighbor[],
  fdb: readonly FdbEntry[],
): { i: number; entries: PeerEntries }[] {
  const keys = entryKeys(fc, overlayDev);
  const nd = keys.neigh.delta(neighbors);
  const fd = nd && keys.fdb.delta(fdb);
  if (!nd || !fd) {
    // One pass over each list, as lists parsed from one text have no base to share.
    const n = fc.withCidr.length;
    const neighOk = new Uint8Array(n);
    const neighSeen = new Map<number, Neighbor>();
    for (const nb of neighbors) {
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
    for (const e of fdb) {
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
    const out: { i: number; entries: PeerEntries }[] = [];
    for (const [i, peer] of fc.withCidr.entries()) {
      const entries: PeerEntries = {
        neighOk: neighOk[i] === 1,
        seen: neighSeen.get(i),
        fdbOk: fdbOk[i] === 1,
        others: fdbSeen.get(i) ?? [],
      };
      // A peer with both entries right has nothing to say (one without a VtepMAC is judged through its neighbour).
      if (!peer.vtepMac || lacking(entries)) out.push({ i, entries });
    }
    return out;
  }
  let perFdb = keys.lacking.get(nd.base);
  if (!perFdb) {
    perFdb = new WeakMap();
    keys.lacking.set(nd.base, perFdb);
  }
  let lackingOnBase = perFdb.get(fd.base);
  if (!lackingOnBase) {
    lackingOnBase = [];
    for (const [i, peer] of fc.withCidr.entries()) {
      if (!peer.vtepMac) continue;
      const e = peerEntries(peer, keys.neigh.baseRecordsOf(nd.base, i), keys.fdb.baseRecordsOf(fd.base, i));
      if (lacking(e)) lackingOnBase.push(i);
    }
    perFdb.set(fd.base, lackingOnBase);
  }
  const judge = new Set<number>([...lackingOnBase, ...nd.touched, ...fd.touched, ...noMacPeers(fc)]);
  return [...judge]
    .filter((i) => i < fc.withCidr.length)
    .sort((a, b) => a - b)
    .map((i) => ({ i, entries: peerEntries(fc.withCidr[i]!, nd.recordsOf(i), fd.recordsOf(i)) }));
}

const noMac = new WeakMap<OverlayPeers, number[]>();
function noMacPeers(fc: OverlayPeers): number[] {
  let l = noMac.get(fc);
  if (!l) {
    l = [];
    for (const [i, p] of fc.withCidr.entries()) if (!p.vtepMac) l.push(i);
    noMac.set(fc, l);
  }
  return l;
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
    const candidates = peersToJudge(fc, overlayDev, dp.neighbors, dp.fdb);
    const neighEv: Evidence[] = [];
    const fdbEv: Evidence[] = [];
    const missingPeers: string[] = [];
    const wrongPeers: string[] = [];
    let byLearnedMac: Map<string, FdbEntry[]> | undefined;
    for (const { i, entries } of candidates) {
      const peer = fc.withCidr[i]!;
      if (!expectedPeer(fc, name, peer) || !peer.vtepGateway) continue;
      const gw = peer.vtepGateway;
      const { neighOk, seen, fdbOk } = entries;
      let bad: 'missing' | 'wrong' | undefined;
      if (!peer.vtepMac ? !seen : !neighOk) {
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
      let ok = fdbOk;
      let others = entries.others;
      if (!mac && seen?.lladdr) {
        mac = seen.lladdr.toLowerCase();
        byLearnedMac ??= learnedFdb(dp.fdb ?? [], overlayDev);
        const learned = byLearnedMac.get(mac) ?? [];
        ok = learned.some((e) => e.dst === peer.publicIp);
        others = learned.filter((e) => e.dst && e.dst !== peer.publicIp);
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
    }
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
