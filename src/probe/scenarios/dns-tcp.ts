import type { Scenario } from '../types.ts';
import { dnsProbes } from './dns-targets.ts';

/** DNS over TCP: large answers and some resolvers use it; a policy or proxy may treat it apart from UDP (seed 004). */
export const dnsTcp: Scenario = {
  id: 'dns-tcp',
  description: 'DNS queries over TCP to the cluster DNS Service and to each CoreDNS pod',
  plan: (input, from) => dnsProbes(input, from, 'tcp'),
};
