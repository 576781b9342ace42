import type { Scenario } from '../types.ts';
import { dnsProbes } from './dns-targets.ts';

/** DNS over UDP to the kube-dns ClusterIP and each CoreDNS pod. */
export const dnsUdp: Scenario = {
  id: 'dns-udp',
  description: 'DNS queries over UDP to the cluster DNS Service and to each CoreDNS pod',
  plan: (input, from) => dnsProbes(input, from, 'udp'),
};
