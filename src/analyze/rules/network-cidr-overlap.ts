import { CNI_ADAPTERS } from '../../cni/index.ts';
import type { Evidence, Snapshot } from '../../core/model.ts';
import {
  type Cidr4,
  cidr4,
  cidrContainsIp,
  cidrsOverlap,
  coveringCidr,
  parseCidr4,
  parseIPv4,
} from '../../core/net/ipv4.ts';
import { causeFinding } from '../finding.ts';
import type { Rule } from '../rule.ts';
import type { SnapshotIndex } from '../snapshot-index.ts';
import { perAnalysis } from './support/datapath.ts';

/** Node name -> prefix length of its InternalIP as configured on the node. */
const prefixes = perAnalysis(() => new Map<string, number>());

interface Net {
  cidr: Cidr4;
  source: string;
  /** For a Service range inferred from ClusterIPs: only these addresses are known to be used. */
  ips?: number[];
}

/** The cluster pod network: the one a CNI's own config declares (flannel's net-conf.json `Network`), else each node's podCIDR. */
export function podNetworks(s: Snapshot, index: SnapshotIndex): Net[] {
  for (const cni of CNI_ADAPTERS) {
    const declared = cni.podNetwork?.read(s);
    const c = declared ? parseCidr4(declared.cidr) : undefined;
    if (declared && c) return [{ cidr: c, source: declared.source }];
  }
  const out: Net[] = [];
  for (const [node, cidr] of index.podCidrByNode) {
    const c = parseCidr4(cidr);
    if (c) out.push({ cidr: c, source: `cluster/nodes.json#${node} spec.podCIDR` });
  }
  return out;
}

/**
 * The Service network: kube-apiserver's `--service-cluster-ip-range` when its pod was collected,
 * else the ClusterIPs themselves (so only real collisions can show).
 */
export function serviceNetwork(s: Snapshot): Net | undefined {
  for (const pod of s.cluster.pods) {
    if (pod.metadata.namespace !== 'kube-system' || !/^kube-apiserver/.test(pod.metadata.name)) continue;
    for (const c of pod.spec.containers) {
      for (const arg of [...(c.command ?? []), ...(c.args ?? [])]) {
        const m = /^--service-cluster-ip-range=(.+)$/.exec(arg);
        const first = m?.[1]?.split(',').find((x) => x.includes('.'));
        const cidr = first ? parseCidr4(first) : undefined;
        if (cidr)
          return {
            cidr,
            source: `cluster/pods.json#kube-system/${pod.metadata.name} --service-cluster-ip-range`,
          };
      }
    }
  }
  const ips: number[] = [];
  for (const svc of s.cluster.services) {
    const ip = svc.spec.clusterIP;
    if (!ip || ip === 'None') continue;
    const n = parseIPv4(ip);
    if (n !== undefined) ips.push(n);
  }
  const cidr = coveringCidr(ips);
  return cidr
    ? { cidr, ips, source: `cluster/services.json (${ips.length} ClusterIPs in ${cidr.text})` }
    : undefined;
}

/**
 * Each node's underlay network: its InternalIP with the prefix found on the node (`prefixOf`,
 * from its links), else /32.
 */
export function nodeNetworks(index: SnapshotIndex, prefixOf: ReadonlyMap<string, number>): Net[] {
  const out: Net[] = [];
  const seen = new Set<string>();
  for (const [node, ip] of index.internalIpByNode) {
    const prefix = prefixOf.get(node) ?? 32;
    const addr = parseIPv4(ip);
    const c = addr === undefined || prefix > 32 ? undefined : cidr4(addr, prefix);
    if (!c || seen.has(c.text)) continue;
    seen.add(c.text);
    out.push({
      cidr: c,
      source: `cluster/nodes.json#${node} InternalIP${prefix !== 32 ? ` (/${prefix} on the node)` : ''}`,
    });
  }
  return out;
}

/** Overlapping pod, Service and node networks send packets to the wrong place. */
export const networkCidrOverlap: Rule = {
  id: 'network-cidr-overlap',
  layer: 'node',
  needs: { cluster: ['nodes', 'pods', 'services'], node: ['links'] },
  title: 'Pod, Service and node networks are disjoint',
  why: 'When pod, Service and node address ranges overlap, routes and NAT rules claim the same addresses: traffic goes to the wrong place or nowhere.',
  /** Node phase: the prefix of the node's InternalIP on its own interfaces. */
  runNode: (ctx, dp) => {
    const ip = ctx.index.internalIpByNode.get(dp.name);
    if (!ip || !dp.links) return [];
    let prefix: number | undefined;
    for (const l of dp.links) {
      const a = l.addrs.find((x) => x.family === 'inet' && x.local === ip);
      if (a) prefix = a.prefixlen;
    }
    if (prefix !== undefined) prefixes(ctx).set(dp.name, prefix);
    return [];
  },
  finish: (ctx) => {
    const { snapshot, index } = ctx;
    const pods = podNetworks(snapshot, index);
    const svc = serviceNetwork(snapshot);
    const nodes = nodeNetworks(index, prefixes(ctx));
    const evidence: Evidence[] = [];
    const pairs: string[] = [];
    const podHull = coveringCidr(
      pods.flatMap((p) => [p.cidr.base, p.cidr.base + 2 ** (32 - p.cidr.prefix) - 1]),
    );
    const overlapsPods = (c: Cidr4, ips?: number[]): Net | undefined => {
      if (podHull && !cidrsOverlap(podHull, c)) return undefined;
      return pods.find((p) => (ips ? ips.some((ip) => cidrContainsIp(p.cidr, ip)) : cidrsOverlap(p.cidr, c)));
    };
    const overlaps = (a: Net, b: Net): boolean =>
      a.ips ? a.ips.some((ip) => cidrContainsIp(b.cidr, ip)) : cidrsOverlap(a.cidr, b.cidr);
    const add = (a: string, b: string, what: string): void => {
      pairs.push(what);
      evidence.push({ source: `${a}; ${b}`, observed: what, expected: 'disjoint ranges' });
    };
    if (svc) {
      const p = overlapsPods(svc.cidr, svc.ips);
      if (p)
        add(
          p.source,
          svc.source,
          `pod network ${p.cidr.text} overlaps service network ${svc.ips ? `(ClusterIPs in ${svc.cidr.text})` : svc.cidr.text}`,
        );
    }
    for (const n of nodes) {
      const p = overlapsPods(n.cidr);
      if (p) add(n.source, p.source, `node network ${n.cidr.text} overlaps pod network ${p.cidr.text}`);
      if (svc && overlaps(svc, n))
        add(n.source, svc.source, `node network ${n.cidr.text} overlaps service network ${svc.cidr.text}`);
      if (evidence.length >= 10) break;
    }
    if (evidence.length === 0) return [];
    return [
      causeFinding(
        networkCidrOverlap,
        {
          subject: { kind: 'Cluster', name: 'cluster' },
          severity: 'error',
          summary: `Cluster networks overlap: ${pairs.slice(0, 3).join('; ')}${pairs.length > 3 ? ` and ${pairs.length - 3} more` : ''}`,
          evidence,
          nextCommands: [
            ...CNI_ADAPTERS.flatMap((a) => (a.podNetwork ? [a.podNetwork.command] : [])),
            'kubectl get nodes -o custom-columns=NAME:.metadata.name,PODCIDR:.spec.podCIDR,IP:.status.addresses[0].address',
          ],
        },
        { category: 'network.cidr-overlap', confidence: 0.85, remediation: [] },
      ),
    ];
  },
};
