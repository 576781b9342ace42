/**
 * A BundleInput for bundle tests: the small cluster, node files captured from namespaces by
 * the caller, flannel's CNI config and subnet.env as flannel writes them, DNS probe results,
 * a recorded gap and two reports.
 */
import type { NodeFileKey } from '../../src/collect/bundle/layout.ts';
import type { BundleInput } from '../../src/collect/bundle/types.ts';
import type { ProbeResults } from '../../src/core/probe-types.ts';
import { plantedSecretObject, smallCluster } from './small-cluster.ts';

/** /etc/cni/net.d/10-flannel.conflist as kube-flannel's install-cni container writes it. */
export const FLANNEL_CONFLIST =
  '{\n  "name": "cbr0",\n  "cniVersion": "0.3.1",\n  "plugins": [\n    {\n      "type": "flannel",\n      "delegate": {\n        "hairpinMode": true,\n        "isDefaultGateway": true\n      }\n    },\n    {\n      "type": "portmap",\n      "capabilities": {\n        "portMappings": true\n      }\n    }\n  ]\n}\n';

export const PROBES: ProbeResults = {
  startedAt: '2026-03-12T10:06:00Z',
  durationMs: 4210,
  results: [
    {
      id: 'dns-udp/node-1/kube-dns',
      scenario: 'dns-udp',
      from: { node: 'node-1', pod: 'netdoctor-probe-node-1', namespace: 'netdoctor', ip: '10.244.0.9' },
      to: { name: 'kubernetes.default.svc.cluster.local', ip: '10.96.0.10', port: 53 },
      protocol: 'udp',
      expect: 'pass',
      outcome: { status: 'pass', rttMs: 1.8 },
    },
    {
      id: 'dns-udp/node-2/kube-dns',
      scenario: 'dns-udp',
      from: { node: 'node-2', pod: 'netdoctor-probe-node-2', namespace: 'netdoctor', ip: '10.244.1.9' },
      to: { name: 'kubernetes.default.svc.cluster.local', ip: '10.96.0.10', port: 53 },
      protocol: 'udp',
      expect: 'pass',
      outcome: {
        status: 'fail',
        error: 'timeout',
        detail: ';; connection timed out; no servers could be reached',
      },
    },
    {
      id: 'pod-to-pod-icmp/node-1/node-2',
      scenario: 'pod-to-pod-icmp',
      from: { node: 'node-1', ip: '10.244.0.9' },
      to: { node: 'node-2', ip: '10.244.1.9' },
      protocol: 'icmp',
      expect: 'pass',
      outcome: { status: 'pass', rttMs: 0.4 },
    },
  ],
};

/** The input; `nodeFiles` are the captured raw files per node name. */
export function bundleInput(nodeFiles: Record<string, Partial<Record<NodeFileKey, string>>>): BundleInput {
  const cluster = smallCluster();
  // A careless list call could hand the writer a Secret; it must never reach the disk.
  cluster.configMaps.push(plantedSecretObject() as (typeof cluster.configMaps)[number]);
  const nodes: BundleInput['nodes'] = {};
  for (const [i, [name, files]] of Object.entries(nodeFiles).entries()) {
    nodes[name] = {
      files: {
        ...files,
        flannelSubnetEnv: `FLANNEL_NETWORK=10.244.0.0/16\nFLANNEL_SUBNET=10.244.${i}.1/24\nFLANNEL_MTU=1450\nFLANNEL_IPMASQ=true\n`,
        resolvConf: 'nameserver 192.168.56.1\nsearch lab.internal\noptions edns0 trust-ad\n',
      },
      cniFiles: [{ file: '10-flannel.conflist', text: FLANNEL_CONFLIST }],
    };
  }
  return {
    meta: {
      createdAt: '2026-03-12T10:06:05.000Z',
      source: 'lab',
      netdoctorVersion: '0.1.0',
      cluster: { name: 'lab', context: 'kubernetes-admin@lab', kubernetesVersion: 'v1.30.2' },
      description: 'two-node flannel lab, kube-proxy crash-looping on node-2',
    },
    cluster,
    nodes,
    probes: PROBES,
    gaps: [
      {
        collector: 'nodes/node-2/vxlan-capture',
        reason: 'not-collected',
        node: 'node-2',
        detail: '--no-capture',
      },
    ],
    reports: {
      'report.json': `${JSON.stringify({ schemaVersion: 1, verdict: 'broken', rootCauses: [], findings: [] }, null, 2)}\n`,
      'DIAGNOSIS-REPORT.md': '# netdoctor diagnosis\n\nkube-proxy is crash-looping on node-2.\n',
    },
  };
}
