/**
 * The shared little cluster of the semantics tests: three namespaces, a few labelled pods with
 * named container ports, CoreDNS, and a hostNetwork agent. Each test adds its own policies.
 */
import type { K8sNetworkPolicy, K8sService } from '../../src/core/cluster-types.ts';
import type { Snapshot } from '../../src/core/model.ts';
import { buildPolicyIndex, type PolicyIndex } from '../../src/policy/policy-index.ts';
import { ns, pod, snapshot, svc } from './fixture.ts';

export const NAMESPACES = [
  ns('prod', { team: 'a', env: 'prod' }),
  ns('dev', { team: 'a', env: 'dev' }),
  ns('other', { team: 'b' }),
  ns('kube-system'),
];

export const PODS = [
  pod(
    'prod',
    'web',
    { app: 'web', tier: 'front' },
    {
      ip: '10.244.1.10',
      ports: [
        { name: 'http', containerPort: 8080 },
        { name: 'metrics', containerPort: 9090 },
      ],
    },
  ),
  pod(
    'prod',
    'api',
    { app: 'api', tier: 'back' },
    {
      ip: '10.244.1.11',
      ports: [
        { name: 'http', containerPort: 9000 },
        { name: 'grpc', containerPort: 50051 },
      ],
    },
  ),
  pod('prod', 'db', { app: 'db' }, { ip: '10.244.1.12', ports: [{ name: 'pg', containerPort: 5432 }] }),
  pod('dev', 'client', { app: 'client' }, { ip: '10.244.2.10' }),
  pod(
    'dev',
    'web',
    { app: 'web', tier: 'front' },
    { ip: '10.244.2.11', ports: [{ name: 'http', containerPort: 8080 }] },
  ),
  pod('other', 'client', { app: 'client' }, { ip: '10.244.3.10' }),
  pod('prod', 'agent', { app: 'agent' }, { hostNetwork: true, node: 'node-2', hostIP: '192.168.0.12' }),
  pod(
    'kube-system',
    'coredns',
    { 'k8s-app': 'kube-dns' },
    {
      ip: '10.244.0.5',
      ports: [
        { name: 'dns', containerPort: 53, protocol: 'UDP' },
        { name: 'dns-tcp', containerPort: 53, protocol: 'TCP' },
      ],
    },
  ),
];

export const SERVICES: K8sService[] = [
  svc('prod', 'api', { app: 'api' }, [{ name: 'http', port: 80, targetPort: 'http' }], '10.96.0.50'),
  svc(
    'kube-system',
    'kube-dns',
    { 'k8s-app': 'kube-dns' },
    [
      { name: 'dns', port: 53, protocol: 'UDP', targetPort: 53 },
      { name: 'dns-tcp', port: 53, protocol: 'TCP', targetPort: 53 },
    ],
    '10.96.0.10',
  ),
];

export function world(policies: K8sNetworkPolicy[]): Snapshot {
  return snapshot({ namespaces: NAMESPACES, pods: PODS, services: SERVICES, policies });
}

export function worldIndex(policies: K8sNetworkPolicy[]): PolicyIndex {
  return buildPolicyIndex(world(policies));
}
