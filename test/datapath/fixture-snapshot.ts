/**
 * Builds snapshots for tracer tests from the captured fixtures: each node's real command
 * output parsed through NODE_FILE_PARSERS, plus the minimal cluster objects (nodes, pods,
 * Services, EndpointSlices) that match what scripts/capture-datapath-fixtures.ts built.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { NODE_CNI_DIR, NODE_FILES, type NodeFileKey } from '../../src/collect/bundle/layout.ts';
import type { BundleNodeInput } from '../../src/collect/bundle/types.ts';
import {
  type ClusterState,
  emptyClusterState,
  type K8sEndpointSlice,
  type K8sNode,
  type K8sPod,
  type K8sService,
} from '../../src/core/cluster-types.ts';
import type { NodeDatapath } from '../../src/core/datapath-types.ts';
import type { Snapshot } from '../../src/core/model.ts';
import { NODE_FILE_PARSERS, parseCniConfig } from '../../src/datapath/parsers/index.ts';

export const FIXTURES = join(import.meta.dirname, '..', 'fixtures', 'datapath');

export interface Topology {
  clusterCidr: string;
  nodes: {
    name: string;
    internalIP: string;
    podCIDR: string;
    vtepMac: string;
    pods: { namespace: string; name: string; ip: string; labels: Record<string, string> }[];
  }[];
  services: {
    namespace: string;
    name: string;
    clusterIP: string;
    selector: Record<string, string>;
    ports: { name: string; port: number; protocol: 'TCP' | 'UDP'; targetPort: number }[];
  }[];
  corefile: string;
}

export function readTopology(): Topology {
  return JSON.parse(readFileSync(join(FIXTURES, 'flannel-3node', 'topology.json'), 'utf8')) as Topology;
}

/** Parses every NODE_FILES file present in `dir` (and its cni-net.d files). */
export function parseNodeDir(name: string, dir: string): NodeDatapath {
  const dp: NodeDatapath = { name };
  for (const key of Object.keys(NODE_FILES) as NodeFileKey[]) {
    const p = join(dir, NODE_FILES[key]);
    if (!existsSync(p)) continue;
    const parse = NODE_FILE_PARSERS[key] as (t: string) => unknown;
    (dp as unknown as Record<string, unknown>)[key] = parse(readFileSync(p, 'utf8'));
  }
  const cniDir = join(dir, NODE_CNI_DIR);
  if (existsSync(cniDir)) {
    dp.cniConfigs = readdirSync(cniDir).map((f) => parseCniConfig(f, readFileSync(join(cniDir, f), 'utf8')));
  }
  return dp;
}

/**
 * The healthy three-node snapshot; `overrides` swaps in a node directory from another fixture
 * set, e.g. `{ 'worker-2': 'flannel-3node-routes-flushed' }`.
 */
export function fixtureSnapshot(overrides: Record<string, string> = {}): Snapshot {
  const cluster = fixtureCluster();
  const nodes: Record<string, NodeDatapath> = {};
  for (const n of readTopology().nodes) {
    nodes[n.name] = parseNodeDir(n.name, join(FIXTURES, overrides[n.name] ?? 'flannel-3node', n.name));
  }
  return {
    meta: { createdAt: '2026-01-01T00:00:00Z', source: 'synthetic', netdoctorVersion: 'test' },
    cluster,
    nodes,
    gaps: [],
  };
}

/** The raw node files of a fixture node directory, as a bundle writer takes them. */
export function rawNodeFiles(dir: string): BundleNodeInput {
  const files: BundleNodeInput['files'] = {};
  for (const key of Object.keys(NODE_FILES) as NodeFileKey[]) {
    const p = join(dir, NODE_FILES[key]);
    if (existsSync(p)) files[key] = readFileSync(p, 'utf8');
  }
  const cniDir = join(dir, NODE_CNI_DIR);
  const cniFiles = existsSync(cniDir)
    ? readdirSync(cniDir).map((file) => ({ file, text: readFileSync(join(cniDir, file), 'utf8') }))
    : [];
  return { files, cniFiles };
}

/** Nodes (with flannel annotations), pods, Services and EndpointSlices matching topology.json. */
export function fixtureCluster(): ClusterState {
  const topo = readTopology();
  const cluster = emptyClusterState();
  for (const n of topo.nodes) {
    const node: K8sNode = {
      metadata: {
        name: n.name,
        annotations: {
          'flannel.alpha.coreos.com/backend-data': JSON.stringify({ VNI: 1, VtepMAC: n.vtepMac }),
          'flannel.alpha.coreos.com/backend-type': 'vxlan',
          'flannel.alpha.coreos.com/public-ip': n.internalIP,
        },
      },
      spec: { podCIDR: n.podCIDR, podCIDRs: [n.podCIDR] },
      status: {
        addresses: [
          { type: 'InternalIP', address: n.internalIP },
          { type: 'Hostname', address: n.name },
        ],
        conditions: [{ type: 'Ready', status: 'True' }],
      },
    };
    cluster.nodes.push(node);
    for (const p of n.pods) cluster.pods.push(pod(p.namespace, p.name, p.ip, n.name, p.labels));
  }
  for (const s of topo.services) {
    const svc: K8sService = {
      metadata: { name: s.name, namespace: s.namespace },
      spec: {
        type: 'ClusterIP',
        clusterIP: s.clusterIP,
        clusterIPs: [s.clusterIP],
        selector: s.selector,
        ports: s.ports,
      },
    };
    cluster.services.push(svc);
    const eps = cluster.pods.filter((p) =>
      Object.entries(s.selector).every(([k, v]) => p.metadata.labels?.[k] === v),
    );
    const slice: K8sEndpointSlice = {
      metadata: {
        name: `${s.name}-abcde`,
        namespace: s.namespace,
        labels: { 'kubernetes.io/service-name': s.name },
      },
      addressType: 'IPv4',
      endpoints: eps.map((p) => ({
        addresses: [p.status.podIP!],
        conditions: { ready: true },
        nodeName: p.spec.nodeName!,
        targetRef: { kind: 'Pod', name: p.metadata.name, namespace: p.metadata.namespace! },
      })),
      ports: s.ports.map((p) => ({ name: p.name, port: p.targetPort, protocol: p.protocol })),
    };
    cluster.endpointSlices.push(slice);
  }
  return cluster;
}

function pod(
  namespace: string,
  name: string,
  ip: string,
  nodeName: string,
  labels: Record<string, string>,
): K8sPod {
  return {
    metadata: { name, namespace, labels },
    spec: { nodeName, containers: [{ name: 'main' }] },
    status: {
      phase: 'Running',
      podIP: ip,
      podIPs: [{ ip }],
      conditions: [{ type: 'Ready', status: 'True' }],
    },
  };
}
