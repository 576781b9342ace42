/**
 * The iptables rules kube-proxy (iptables mode) and flanneld write on a node, as the
 * iptables-restore input they feed to the nft backend. Chain names use kube-proxy's own
 * hashing (sha256 -> base32 -> 16 chars), so KUBE-SVC/KUBE-SEP names match a real cluster.
 */
import { createHash } from 'node:crypto';
import { CLUSTER_CIDR, type ServiceSpec } from './world.ts';

const B32 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
function base32(buf: Uint8Array): string {
  let bits = 0;
  let val = 0;
  let out = '';
  for (const b of buf) {
    val = ((val << 8) | b) & 0xffff;
    bits += 8;
    while (bits >= 5) {
      out += B32[(val >>> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  if (bits > 0) out += B32[(val << (5 - bits)) & 31];
  return out;
}
function hash16(s: string): string {
  return base32(createHash('sha256').update(s).digest()).slice(0, 16);
}
export const svcChain = (portName: string, proto: string): string => `KUBE-SVC-${hash16(portName + proto)}`;
export const extChain = (portName: string, proto: string): string => `KUBE-EXT-${hash16(portName + proto)}`;
export const sepChain = (portName: string, proto: string, ep: string): string =>
  `KUBE-SEP-${hash16(portName + proto + ep)}`;

/** Endpoints of a service port, resolved by the caller (ready pods matching the selector). */
export interface ServiceEndpoints {
  svc: ServiceSpec;
  /** Endpoint IPs (pod IPs, or node IPs for the apiserver). */
  ips: string[];
}

/** kube-proxy's nat and filter tables. */
export function kubeProxyRules(list: ServiceEndpoints[]): {
  nat: string[];
  filter: string[];
  chains: { nat: string[]; filter: string[] };
} {
  const nat: string[] = [];
  const filter: string[] = [];
  const natChains = [
    'KUBE-KUBELET-CANARY',
    'KUBE-MARK-MASQ',
    'KUBE-NODEPORTS',
    'KUBE-POSTROUTING',
    'KUBE-PROXY-CANARY',
    'KUBE-SERVICES',
  ];
  const filterChains = [
    'KUBE-EXTERNAL-SERVICES',
    'KUBE-FIREWALL',
    'KUBE-FORWARD',
    'KUBE-KUBELET-CANARY',
    'KUBE-NODEPORTS',
    'KUBE-PROXY-CANARY',
    'KUBE-PROXY-FIREWALL',
    'KUBE-SERVICES',
  ];
  nat.push(
    '-A PREROUTING -m comment --comment "kubernetes service portals" -j KUBE-SERVICES',
    '-A OUTPUT -m comment --comment "kubernetes service portals" -j KUBE-SERVICES',
    '-A POSTROUTING -m comment --comment "kubernetes postrouting rules" -j KUBE-POSTROUTING',
    '-A KUBE-MARK-MASQ -j MARK --set-xmark 0x4000/0x4000',
    '-A KUBE-POSTROUTING -m mark ! --mark 0x4000/0x4000 -j RETURN',
    '-A KUBE-POSTROUTING -j MARK --set-xmark 0x4000/0x0',
    '-A KUBE-POSTROUTING -m comment --comment "kubernetes service traffic requiring SNAT" -j MASQUERADE --random-fully',
  );
  filter.push(
    '-A INPUT -m conntrack --ctstate NEW -m comment --comment "kubernetes load balancer firewall" -j KUBE-PROXY-FIREWALL',
    '-A INPUT -m comment --comment "kubernetes health check service ports" -j KUBE-NODEPORTS',
    '-A INPUT -m conntrack --ctstate NEW -m comment --comment "kubernetes externally-visible service portals" -j KUBE-EXTERNAL-SERVICES',
    '-A INPUT -j KUBE-FIREWALL',
    '-A FORWARD -m conntrack --ctstate NEW -m comment --comment "kubernetes load balancer firewall" -j KUBE-PROXY-FIREWALL',
    '-A FORWARD -m comment --comment "kubernetes forwarding rules" -j KUBE-FORWARD',
    '-A FORWARD -m conntrack --ctstate NEW -m comment --comment "kubernetes service portals" -j KUBE-SERVICES',
    '-A FORWARD -m conntrack --ctstate NEW -m comment --comment "kubernetes externally-visible service portals" -j KUBE-EXTERNAL-SERVICES',
    '-A OUTPUT -m conntrack --ctstate NEW -m comment --comment "kubernetes load balancer firewall" -j KUBE-PROXY-FIREWALL',
    '-A OUTPUT -m conntrack --ctstate NEW -m comment --comment "kubernetes service portals" -j KUBE-SERVICES',
    '-A OUTPUT -j KUBE-FIREWALL',
    '-A KUBE-FIREWALL ! -s 127.0.0.0/8 -d 127.0.0.0/8 -m comment --comment "block incoming localnet connections" -m conntrack ! --ctstate RELATED,ESTABLISHED,DNAT -j DROP',
    '-A KUBE-FORWARD -m conntrack --ctstate INVALID -j DROP',
    '-A KUBE-FORWARD -m comment --comment "kubernetes forwarding rules" -m mark --mark 0x4000/0x4000 -j ACCEPT',
    '-A KUBE-FORWARD -m comment --comment "kubernetes forwarding conntrack rule" -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT',
  );
  const svcRules: string[] = [];
  const chainRules: string[] = [];
  const nodePortRules: string[] = [];
  for (const { svc, ips } of list) {
    for (const port of svc.ports) {
      const portName = `${svc.namespace}/${svc.name}:${port.name}`;
      const proto = port.protocol.toLowerCase();
      const svcName = svcChain(portName, proto);
      if (ips.length === 0) {
        filter.push(
          `-A KUBE-SERVICES -d ${svc.clusterIP}/32 -p ${proto} -m comment --comment "${portName} has no endpoints" -m ${proto} --dport ${port.port} -j REJECT --reject-with icmp-port-unreachable`,
        );
        if (port.nodePort !== undefined) {
          filter.push(
            `-A KUBE-EXTERNAL-SERVICES -p ${proto} -m comment --comment "${portName} has no endpoints" -m addrtype --dst-type LOCAL -m ${proto} --dport ${port.nodePort} -j REJECT --reject-with icmp-port-unreachable`,
          );
        }
        continue;
      }
      natChains.push(svcName);
      svcRules.push(
        `-A KUBE-SERVICES -d ${svc.clusterIP}/32 -p ${proto} -m comment --comment "${portName} cluster IP" -m ${proto} --dport ${port.port} -j ${svcName}`,
      );
      if (port.nodePort !== undefined) {
        const ext = extChain(portName, proto);
        natChains.push(ext);
        nodePortRules.push(
          `-A KUBE-NODEPORTS -p ${proto} -m comment --comment "${portName}" -m ${proto} --dport ${port.nodePort} -j ${ext}`,
        );
        chainRules.push(
          `-A ${ext} -m comment --comment "masquerade traffic for ${portName} external destinations" -j KUBE-MARK-MASQ`,
          `-A ${ext} -j ${svcName}`,
        );
      }
      chainRules.push(
        `-A ${svcName} ! -s ${CLUSTER_CIDR} -d ${svc.clusterIP}/32 -p ${proto} -m comment --comment "${portName} cluster IP" -m ${proto} --dport ${port.port} -j KUBE-MARK-MASQ`,
      );
      ips.forEach((ip, i) => {
        const ep = `${ip}:${port.targetPort}`;
        const sep = sepChain(portName, proto, ep);
        natChains.push(sep);
        const left = ips.length - i;
        const stat = left > 1 ? ` -m statistic --mode random --probability ${(1 / left).toFixed(11)}` : '';
        chainRules.push(`-A ${svcName} -m comment --comment "${portName} -> ${ep}"${stat} -j ${sep}`);
        chainRules.push(
          `-A ${sep} -s ${ip}/32 -m comment --comment "${portName}" -j KUBE-MARK-MASQ`,
          `-A ${sep} -p ${proto} -m comment --comment "${portName}" -m ${proto} -j DNAT --to-destination ${ep}`,
        );
      });
    }
  }
  nat.push(
    ...svcRules,
    '-A KUBE-SERVICES -m comment --comment "kubernetes service nodeports; NOTE: this must be the last rule in this chain" -m addrtype --dst-type LOCAL -j KUBE-NODEPORTS',
    ...nodePortRules,
    ...chainRules,
  );
  return { nat, filter, chains: { nat: natChains, filter: filterChains } };
}

/** flanneld's masquerade and forward rules for a node's lease (flannel v0.25 iptables mode). */
export function flannelRules(podCIDR: string): { nat: string[]; filter: string[] } {
  const c = '-m comment --comment "flanneld masq"';
  return {
    nat: [
      `-A POSTROUTING ${c} -j FLANNEL-POSTRTG`,
      `-A FLANNEL-POSTRTG -m mark --mark 0x4000/0x4000 ${c} -j RETURN`,
      `-A FLANNEL-POSTRTG -s ${podCIDR} -d ${CLUSTER_CIDR} ${c} -j RETURN`,
      `-A FLANNEL-POSTRTG -s ${CLUSTER_CIDR} -d ${podCIDR} ${c} -j RETURN`,
      `-A FLANNEL-POSTRTG ! -s ${CLUSTER_CIDR} -d ${podCIDR} ${c} -j RETURN`,
      `-A FLANNEL-POSTRTG -s ${CLUSTER_CIDR} ! -d 224.0.0.0/4 ${c} -j MASQUERADE --random-fully`,
      `-A FLANNEL-POSTRTG ! -s ${CLUSTER_CIDR} -d ${CLUSTER_CIDR} ${c} -j MASQUERADE --random-fully`,
    ],
    filter: [
      '-A FORWARD -m comment --comment "flanneld forward" -j FLANNEL-FWD',
      `-A FLANNEL-FWD -s ${CLUSTER_CIDR} -m comment --comment "flanneld forward" -j ACCEPT`,
      `-A FLANNEL-FWD -d ${CLUSTER_CIDR} -m comment --comment "flanneld forward" -j ACCEPT`,
    ],
  };
}

/** The rule that the masquerade-missing fault deletes (`iptables -t nat -D ...`). */
export function flannelMasqueradeRule(): string[] {
  return [
    'FLANNEL-POSTRTG',
    '-s',
    CLUSTER_CIDR,
    '!',
    '-d',
    '224.0.0.0/4',
    '-m',
    'comment',
    '--comment',
    'flanneld masq',
    '-j',
    'MASQUERADE',
    '--random-fully',
  ];
}

/** A node's complete iptables-restore input. */
export function restoreInput(podCIDR: string, list: ServiceEndpoints[], policies: PodPolicy[] = []): string {
  const kp = kubeProxyRules(list);
  const fl = flannelRules(podCIDR);
  const kr = kubeRouterRules(policies);
  const lines: string[] = [];
  lines.push(
    '*mangle',
    ':PREROUTING ACCEPT [0:0]',
    ':INPUT ACCEPT [0:0]',
    ':FORWARD ACCEPT [0:0]',
    ':OUTPUT ACCEPT [0:0]',
  );
  lines.push(
    ':POSTROUTING ACCEPT [0:0]',
    ':KUBE-IPTABLES-HINT - [0:0]',
    ':KUBE-KUBELET-CANARY - [0:0]',
    ':KUBE-PROXY-CANARY - [0:0]',
    'COMMIT',
  );
  lines.push(
    '*nat',
    ':PREROUTING ACCEPT [0:0]',
    ':INPUT ACCEPT [0:0]',
    ':OUTPUT ACCEPT [0:0]',
    ':POSTROUTING ACCEPT [0:0]',
  );
  lines.push(':FLANNEL-POSTRTG - [0:0]');
  for (const ch of kp.chains.nat) lines.push(`:${ch} - [0:0]`);
  lines.push(...kp.nat.filter((r) => r.startsWith('-A PREROUTING') || r.startsWith('-A OUTPUT')));
  lines.push(...kp.nat.filter((r) => r.startsWith('-A POSTROUTING')));
  lines.push(...fl.nat);
  lines.push(...kp.nat.filter((r) => !/^-A (PREROUTING|OUTPUT|POSTROUTING) /.test(r)));
  lines.push('COMMIT');
  lines.push(
    '*filter',
    ':INPUT ACCEPT [0:0]',
    ':FORWARD ACCEPT [0:0]',
    ':OUTPUT ACCEPT [0:0]',
    ':FLANNEL-FWD - [0:0]',
  );
  for (const ch of [...kp.chains.filter, ...kr.chains].sort()) lines.push(`:${ch} - [0:0]`);
  lines.push(...kr.rules.filter((r) => /^-A (INPUT|FORWARD|OUTPUT) /.test(r)));
  lines.push(
    ...kp.filter.filter(
      (r) => r.startsWith('-A INPUT') || r.startsWith('-A FORWARD') || r.startsWith('-A OUTPUT'),
    ),
  );
  lines.push(...fl.filter.filter((r) => r.startsWith('-A FORWARD')));
  lines.push(...fl.filter.filter((r) => !r.startsWith('-A FORWARD')));
  lines.push(...kp.filter.filter((r) => !/^-A (INPUT|FORWARD|OUTPUT) /.test(r)));
  lines.push(...kr.rules.filter((r) => !/^-A (INPUT|FORWARD|OUTPUT) /.test(r)));
  lines.push('COMMIT');
  return `${lines.join('\n')}\n`;
}

/** One egress rule of a NetworkPolicy as kube-router enforces it for a pod. */
export interface EgressAllow {
  cidr?: string;
  proto?: 'tcp' | 'udp';
  port?: number;
}

/** A pod's policies as kube-router's network-policy controller compiles them. */
export interface PodPolicy {
  pod: { name: string; namespace: string; ip: string };
  policies: { namespace: string; name: string; egress: EgressAllow[] }[];
}

/**
 * kube-router (network-policy controller only, beside flannel) filter-table rules: top-level
 * chains always, and per-pod firewall chains for pods that egress policies select.
 */
export function kubeRouterRules(pods: PodPolicy[]): { chains: string[]; rules: string[] } {
  const chains = ['KUBE-NWPLCY-DEFAULT', 'KUBE-ROUTER-FORWARD', 'KUBE-ROUTER-INPUT', 'KUBE-ROUTER-OUTPUT'];
  const rules = [
    '-A INPUT -m comment --comment "kube-router netpol - 4IA2OSFRMVNDXBVV" -j KUBE-ROUTER-INPUT',
    '-A FORWARD -m comment --comment "kube-router netpol - TEMCG2JMHZYE7H7T" -j KUBE-ROUTER-FORWARD',
    '-A OUTPUT -m comment --comment "kube-router netpol - VEAAIY32XVBHCSCY" -j KUBE-ROUTER-OUTPUT',
    '-A KUBE-NWPLCY-DEFAULT -m comment --comment "rule to mark traffic matching a network policy" -j MARK --set-xmark 0x10000/0x10000',
  ];
  const body: string[] = [];
  for (const { pod, policies } of pods) {
    const fw = `KUBE-POD-FW-${hash16(pod.namespace + pod.name)}`;
    const who = `POD name:${pod.name} namespace: ${pod.namespace}`;
    chains.push(fw);
    body.push(
      `-A KUBE-ROUTER-FORWARD -s ${pod.ip}/32 -m comment --comment "rule to jump traffic from ${who} to chain ${fw}" -j ${fw}`,
      `-A KUBE-ROUTER-FORWARD -s ${pod.ip}/32 -m physdev --physdev-is-bridged -m comment --comment "rule to jump traffic from ${who} to chain ${fw}" -j ${fw}`,
      `-A KUBE-ROUTER-OUTPUT -s ${pod.ip}/32 -m comment --comment "rule to jump traffic from ${who} to chain ${fw}" -j ${fw}`,
      `-A ${fw} -m comment --comment "rule for stateful firewall for pod" -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT`,
      `-A ${fw} -m comment --comment "rule to drop invalid state for pod" -m conntrack --ctstate INVALID -j DROP`,
    );
    for (const pol of policies) {
      const pc = `KUBE-NWPLCY-${hash16(pol.namespace + pol.name)}`;
      if (!chains.includes(pc)) {
        chains.push(pc);
        for (const e of pol.egress) {
          const parts = [`-A ${pc}`];
          if (e.cidr) parts.push(`-d ${e.cidr}`);
          if (e.proto) parts.push(`-p ${e.proto}`);
          parts.push(
            `-m comment --comment "rule to ACCEPT traffic from source pods to ${e.cidr ?? 'all destinations'} for egress in ${pol.namespace}/${pol.name}"`,
          );
          if (e.proto && e.port !== undefined) parts.push(`-m ${e.proto} --dport ${e.port}`);
          body.push(`${parts.join(' ')} -j MARK --set-xmark 0x10000/0x10000`);
          body.push(`${parts.join(' ')} -m mark --mark 0x10000/0x10000 -j RETURN`);
        }
      }
      body.push(`-A ${fw} -s ${pod.ip}/32 -m comment --comment "run through nw policy ${pol.name}" -j ${pc}`);
    }
    body.push(
      `-A ${fw} -m comment --comment "rule to log dropped traffic ${who}" -m mark ! --mark 0x10000/0x10000 -m limit --limit 10/min --limit-burst 10 -j NFLOG --nflog-group 100`,
      `-A ${fw} -m comment --comment "rule to REJECT traffic destined for ${who}" -m mark ! --mark 0x10000/0x10000 -j REJECT --reject-with icmp-port-unreachable`,
      `-A ${fw} -j MARK --set-xmark 0x0/0x10000`,
      `-A ${fw} -m comment --comment "set mark to ACCEPT path after ${who} firewall chain" -j MARK --set-xmark 0x20000/0x20000`,
    );
  }
  if (pods.length > 0) {
    body.push(
      '-A KUBE-ROUTER-FORWARD -m comment --comment "rule to explicitly ACCEPT traffic that comply to network policies" -m mark --mark 0x20000/0x20000 -j ACCEPT',
      '-A KUBE-ROUTER-OUTPUT -m comment --comment "rule to explicitly ACCEPT traffic that comply to network policies" -m mark --mark 0x20000/0x20000 -j ACCEPT',
    );
  }
  return { chains, rules: [...rules, ...body] };
}
