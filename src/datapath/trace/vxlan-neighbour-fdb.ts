/**
 * The vxlan-neighbour and vxlan-fdb hops: flannel's VXLAN device must resolve the peer's VTEP
 * address to its MAC (neighbour table) and that MAC to the peer's underlay address (FDB).
 */
import { nodeFile } from '../../collect/bundle/layout.ts';
import type { Link, NodeDatapath, Route } from '../../core/datapath-types.ts';
import { formatFdb, formatNeighbor } from '../format.ts';
import type { NodeFacts } from '../trace-cluster.ts';
import type { Walk } from './walk.ts';

/** Neighbour and FDB entries for the peer's VTEP; returns the VXLAN remote, or undefined to stop. */
export function vxlanHops(
  w: Walk,
  node: NodeFacts,
  dp: NodeDatapath,
  overlay: Link,
  route: Route,
  peer: NodeFacts,
): string | undefined {
  const dev = overlay.ifname;
  const gw = route.gateway ?? w.dst;
  const expectedMac = peer.vtepMac;
  const whose = `${peer.name}'s VTEP`;
  let mac = expectedMac;
  const neighSource = nodeFile(node.name, 'neighbors');
  if (!dp.neighbors) {
    w.add({
      kind: 'vxlan-neighbour',
      status: 'unknown',
      node: node.name,
      dev,
      gateway: gw,
      summary: `neighbours were not collected from ${node.name}`,
      reason: `neighbours were not collected from ${node.name}`,
      evidence: [],
    });
  } else {
    const n = dp.neighbors.find((x) => x.dst === gw && x.dev === dev);
    const bad = !n?.lladdr || n.state.some((s) => s === 'FAILED' || s === 'INCOMPLETE');
    const base = {
      kind: 'vxlan-neighbour' as const,
      node: node.name,
      dev,
      gateway: gw,
      ...(expectedMac ? { expectedMac } : {}),
    };
    if (!n || bad) {
      w.add({
        ...base,
        status: 'broken',
        summary: `${dev} cannot resolve ${gw}`,
        reason: `${dev} on ${node.name} has no neighbour entry for ${gw} (${whose}${expectedMac ? ` ${expectedMac}` : ''})`,
        evidence: [
          {
            source: neighSource,
            observed: n ? formatNeighbor(n) : `no entry for ${gw} dev ${dev}`,
            expected: `${gw} dev ${dev} lladdr ${expectedMac ?? '<VTEP MAC>'} PERMANENT`,
          },
        ],
      });
      return undefined;
    }
    const got = n.lladdr!.toLowerCase();
    if (expectedMac && got !== expectedMac) {
      w.add({
        ...base,
        status: 'broken',
        mac: got,
        summary: `${dev} resolves ${gw} to the wrong MAC`,
        reason: `${dev} on ${node.name} resolves ${gw} to ${got}, but ${whose} is ${expectedMac}`,
        evidence: [{ source: neighSource, observed: formatNeighbor(n), expected: `lladdr ${expectedMac}` }],
      });
      return undefined;
    }
    mac = got;
    w.add({
      ...base,
      status: 'ok',
      mac: got,
      summary: `${gw} -> ${got} (${whose}) on ${dev}`,
      evidence: [{ source: neighSource, observed: formatNeighbor(n) }],
    });
  }

  const fdbSource = nodeFile(node.name, 'fdb');
  const expectedRemote = peer.underlayIp;
  const fbase = {
    kind: 'vxlan-fdb' as const,
    node: node.name,
    dev,
    mac: mac ?? '?',
    ...(expectedRemote ? { expectedRemote } : {}),
  };
  if (!dp.fdb || !mac) {
    w.add({
      ...fbase,
      status: 'unknown',
      summary: `cannot check ${dev}'s FDB`,
      reason: !dp.fdb
        ? `the FDB was not collected from ${node.name}`
        : `${whose} MAC is unknown (no neighbour entry, no ${w.view.cni.nodeRecordName})`,
      evidence: [],
    });
    return expectedRemote;
  }
  const entry = dp.fdb.find((f) => f.dev === dev && f.mac.toLowerCase() === mac && f.dst !== undefined);
  if (!entry?.dst) {
    w.add({
      ...fbase,
      status: 'broken',
      summary: `${dev} has no FDB entry for ${mac}`,
      reason: `${dev} on ${node.name} has no FDB entry for ${mac} (${whose}): VXLAN frames for ${peer.name} have no destination`,
      evidence: [
        {
          source: fdbSource,
          observed: `no entry for ${mac} dev ${dev}`,
          expected: `${mac} dev ${dev} dst ${expectedRemote ?? '<peer underlay IP>'} self permanent`,
        },
      ],
    });
    return undefined;
  }
  if (expectedRemote && entry.dst !== expectedRemote) {
    w.add({
      ...fbase,
      status: 'broken',
      remote: entry.dst,
      summary: `${dev} sends ${mac} to the wrong node`,
      reason: `${dev} on ${node.name} sends ${mac} (${whose}) to ${entry.dst}, but ${peer.name} is at ${expectedRemote}`,
      evidence: [{ source: fdbSource, observed: formatFdb(entry), expected: `dst ${expectedRemote}` }],
    });
    return undefined;
  }
  w.add({
    ...fbase,
    status: 'ok',
    remote: entry.dst,
    summary: `${mac} -> ${entry.dst} on ${dev}`,
    evidence: [{ source: fdbSource, observed: formatFdb(entry) }],
  });
  return entry.dst;
}
