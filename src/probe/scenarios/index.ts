/** Every probe scenario, in the order a client runs them (cheap and basic first). */
import type { Scenario } from '../types.ts';
import { dnsTcp } from './dns-tcp.ts';
import { dnsUdp } from './dns-udp.ts';
import { external } from './external.ts';
import { mtu } from './mtu.ts';
import { nodeport } from './nodeport.ts';
import { podToPodIcmp } from './pod-to-pod-icmp.ts';
import { podToPodTcp } from './pod-to-pod-tcp.ts';
import { serviceClusterIp } from './service-clusterip.ts';
import { tls } from './tls.ts';

export const SCENARIOS: readonly Scenario[] = [
  podToPodIcmp,
  podToPodTcp,
  dnsUdp,
  dnsTcp,
  mtu,
  external,
  tls,
  serviceClusterIp,
  nodeport,
];
