/**
 * `nft -j list ruleset` output in the shape kube-proxy's nftables mode programs (kubernetes
 * pkg/proxy/nftables/proxier.go), for the same ServiceSpecs the iptables builder uses. The JSON
 * objects follow what nft 1.0.6 printed for the recorded fixture
 * (test/fixtures/datapath/kube-proxy-nft): concatenated map keys, `goto` verdict values,
 * commented elements wrapped in `{"elem": {...}}`, numeric base-chain priorities. No
 * nftables-mode kube-proxy runs in the lab yet, so this is recorded-shape, not recorded output;
 * test/datapath/kube-proxy-nft-live.test.ts loads it into real nft and reads it back.
 */
import { createHash } from 'node:crypto';
import type { NodeDatapath } from '../../src/core/datapath-types.ts';
import type { Snapshot } from '../../src/core/model.ts';
import { parseNftRuleset } from '../../src/datapath/parsers/nft-ruleset.ts';
import type { ServiceSpec } from './datapath-builder.ts';

type Json = Record<string, unknown>;

const B32 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

/** kube-proxy's hashAndTruncate: 8 base32 characters of the name's sha256, then the name. */
export function kpHashName(name: string): string {
  const digest = createHash('sha256').update(name).digest();
  let bits = 0;
  let value = 0;
  let out = '';
  for (const byte of digest) {
    value = ((value << 8) | byte) & 0xffff;
    bits += 8;
    while (bits >= 5 && out.length < 8) {
      out += B32[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
    if (out.length === 8) break;
  }
  return `${out}-${name}`;
}

/** What the generated ruleset assumes about the cluster around the Services. */
export interface KubeProxyNftOptions {
  /** Pod network for the masquerade rule of each Service chain; default 10.244.0.0/16. */
  clusterCIDR?: string;
  /** Service network for the unallocated-ClusterIP drop; default 10.96.0.0/16. */
  serviceCIDR?: string;
  /** NodePorts by `ns/name` (the port of the Service's first port). */
  nodePorts?: Record<string, number>;
  /** Leave the ip6 table out (an IPv4-only node kube-proxy still creates both). */
  ipv4Only?: boolean;
}

/** The `{"nftables": [...]}` object `nft -j list ruleset` prints for these Services. */
export function kubeProxyNftJson(services: readonly ServiceSpec[], opts: KubeProxyNftOptions = {}): Json {
  const clusterCIDR = opts.clusterCIDR ?? '10.244.0.0/16';
  const serviceCIDR = opts.serviceCIDR ?? '10.96.0.0/16';
  const [podNet, podLen] = clusterCIDR.split('/');
  const [svcNet, svcLen] = serviceCIDR.split('/');
  const items: Json[] = [
    { metainfo: { version: '1.0.6', release_name: 'Lester Gooch #5', json_schema_version: 1 } },
  ];
  let handle = 0;
  const h = (): number => ++handle;
  const t = { family: 'ip', table: 'kube-proxy' };
  const prefix = (addr: string, len: string | undefined) => ({ prefix: { addr, len: Number(len) } });
  const daddr = { payload: { protocol: 'ip', field: 'daddr' } };
  const saddr = { payload: { protocol: 'ip', field: 'saddr' } };
  const l4proto = { meta: { key: 'l4proto' } };
  const thDport = { payload: { protocol: 'th', field: 'dport' } };
  const match = (op: string, left: unknown, right: unknown) => ({ match: { op, left, right } });
  const jump = (target: string) => ({ jump: { target } });
  const goto = (target: string) => ({ goto: { target } });
  const ctNew = match('in', { ct: { key: 'state' } }, 'new');

  const chains: Json[] = [];
  const rules: Json[] = [];
  const chain = (name: string, base?: { type: string; hook: string; prio: number }): void => {
    chains.push({ chain: { ...t, name, handle: h(), ...(base ? { ...base, policy: 'accept' } : {}) } });
  };
  const rule = (name: string, expr: unknown[], comment?: string): void => {
    rules.push({ rule: { ...t, chain: name, handle: h(), expr, ...(comment ? { comment } : {}) } });
  };

  const clusterIps: string[] = [];
  const serviceIps: unknown[] = [];
  const noEndpoints: unknown[] = [];
  const nodePortElems: unknown[] = [];

  for (const [name, type, hook, prio] of [
    ['filter-prerouting', 'filter', 'prerouting', -110],
    ['filter-input', 'filter', 'input', -110],
    ['filter-forward', 'filter', 'forward', -110],
    ['filter-output', 'filter', 'output', -110],
    ['filter-output-post-dnat', 'filter', 'output', -90],
    ['nat-prerouting', 'nat', 'prerouting', -100],
    ['nat-output', 'nat', 'output', -100],
    ['nat-postrouting', 'nat', 'postrouting', 100],
  ] as const)
    chain(name, { type, hook, prio });
  for (const name of [
    'nodeport-endpoints-check',
    'service-endpoints-check',
    'firewall-check',
    'services',
    'cluster-ips-check',
    'masquerading',
    'mark-for-masquerade',
    'reject-chain',
  ])
    chain(name);
  rule('filter-prerouting', [ctNew, jump('firewall-check')]);
  rule('filter-input', [ctNew, jump('nodeport-endpoints-check')]);
  rule('filter-input', [ctNew, jump('service-endpoints-check')]);
  rule('filter-forward', [ctNew, jump('service-endpoints-check')]);
  rule('filter-forward', [ctNew, jump('cluster-ips-check')]);
  rule('filter-output', [ctNew, jump('service-endpoints-check')]);
  rule('filter-output', [ctNew, jump('firewall-check')]);
  rule('filter-output-post-dnat', [ctNew, jump('cluster-ips-check')]);
  rule('nat-prerouting', [jump('services')]);
  rule('nat-output', [jump('services')]);
  rule('nat-postrouting', [jump('masquerading')]);
  rule('nodeport-endpoints-check', [
    match('!=', daddr, prefix('127.0.0.0', '8')),
    { vmap: { key: { concat: [l4proto, thDport] }, data: '@no-endpoint-nodeports' } },
  ]);
  rule('service-endpoints-check', [
    { vmap: { key: { concat: [daddr, l4proto, thDport] }, data: '@no-endpoint-services' } },
  ]);
  rule('firewall-check', [{ vmap: { key: { concat: [daddr, l4proto, thDport] }, data: '@firewall-ips' } }]);
  rule('services', [{ vmap: { key: { concat: [daddr, l4proto, thDport] }, data: '@service-ips' } }]);
  rule('services', [
    match('==', { fib: { result: 'type', flags: ['daddr'] } }, 'local'),
    match('!=', daddr, prefix('127.0.0.0', '8')),
    { vmap: { key: { concat: [l4proto, thDport] }, data: '@service-nodeports' } },
  ]);
  rule(
    'cluster-ips-check',
    [match('==', daddr, '@cluster-ips'), { reject: null }],
    'Reject traffic to invalid ports of ClusterIPs',
  );
  rule(
    'cluster-ips-check',
    [match('==', daddr, { set: [prefix(svcNet!, svcLen)] }), { drop: null }],
    'Drop traffic to unallocated ClusterIPs',
  );
  const mark = { meta: { key: 'mark' } };
  rule('masquerading', [match('==', { '&': [mark, 16384] }, 0), { return: null }]);
  rule('masquerading', [{ mangle: { key: mark, value: { '^': [mark, 16384] } } }]);
  rule('masquerading', [{ masquerade: { flags: 'fully-random' } }]);
  rule('mark-for-masquerade', [{ mangle: { key: mark, value: { '|': [mark, 16384] } } }]);
  rule('reject-chain', [{ reject: null }]);

  for (const svc of services) {
    clusterIps.push(svc.clusterIP);
    svc.ports.forEach((p, pi) => {
      const proto = p.protocol.toLowerCase();
      const portName = `${svc.namespace}/${svc.name}/${proto}/${p.name ?? ''}`;
      const id = `${svc.namespace}/${svc.name}${p.name ? `:${p.name}` : ''}`;
      const key = { concat: [svc.clusterIP, proto, p.port] };
      if (svc.endpoints.length === 0) {
        noEndpoints.push([{ elem: { val: key, comment: id } }, goto('reject-chain')]);
        return;
      }
      const svcChain = `service-${kpHashName(portName)}`;
      serviceIps.push([key, goto(svcChain)]);
      chain(svcChain);
      rule(svcChain, [
        match('==', daddr, svc.clusterIP),
        match('==', { payload: { protocol: proto, field: 'dport' } }, p.port),
        match('!=', saddr, prefix(podNet!, podLen)),
        jump('mark-for-masquerade'),
      ]);
      const epChains = svc.endpoints.map((ep) => {
        const target = p.targetPort ?? p.port;
        const epChain = `endpoint-${kpHashName(`${portName}__${ep}/${target}`)}`;
        chain(epChain);
        rule(epChain, [match('==', saddr, ep), jump('mark-for-masquerade')]);
        rule(epChain, [match('==', l4proto, proto), { dnat: { addr: ep, port: target } }]);
        return epChain;
      });
      rule(svcChain, [
        {
          vmap: {
            key: { numgen: { mode: 'random', mod: epChains.length, offset: 0 } },
            data: { set: epChains.map((c, i) => [i, goto(c)]) },
          },
        },
      ]);
      const nodePort = pi === 0 ? opts.nodePorts?.[`${svc.namespace}/${svc.name}`] : undefined;
      if (nodePort !== undefined) {
        const ext = `external-${kpHashName(portName)}`;
        chain(ext);
        rule(ext, [jump('mark-for-masquerade')]);
        rule(ext, [goto(svcChain)]);
        nodePortElems.push([{ concat: [proto, nodePort] }, goto(ext)]);
      }
    });
  }

  const addrMap = (name: string, comment: string, elem: unknown[]): Json => ({
    map: {
      ...t,
      name,
      type: ['ipv4_addr', 'inet_proto', 'inet_service'],
      handle: h(),
      comment,
      map: 'verdict',
      ...(elem.length > 0 ? { elem } : {}),
    },
  });
  const portMap = (name: string, comment: string, elem: unknown[]): Json => ({
    map: {
      ...t,
      name,
      type: ['inet_proto', 'inet_service'],
      handle: h(),
      comment,
      map: 'verdict',
      ...(elem.length > 0 ? { elem } : {}),
    },
  });
  items.push(
    { table: { family: 'ip', name: 'kube-proxy', handle: h() } },
    {
      set: {
        ...t,
        name: 'cluster-ips',
        type: 'ipv4_addr',
        handle: h(),
        comment: 'Active ClusterIPs',
        ...(clusterIps.length > 0 ? { elem: clusterIps } : {}),
      },
    },
    addrMap(
      'no-endpoint-services',
      'vmap to drop or reject packets to services with no endpoints',
      noEndpoints,
    ),
    portMap(
      'no-endpoint-nodeports',
      'vmap to drop or reject packets to service nodeports with no endpoints',
      [],
    ),
    addrMap('firewall-ips', 'destinations that are subject to LoadBalancerSourceRanges', []),
    addrMap('service-ips', 'ClusterIP, ExternalIP and LoadBalancer IP traffic', serviceIps),
    portMap('service-nodeports', 'NodePort traffic', nodePortElems),
  );
  // One push per item: spreading 200,000 rules into push() overflows the call stack.
  for (const c of chains) items.push(c);
  for (const r of rules) items.push(r);
  if (!opts.ipv4Only) {
    const t6 = { family: 'ip6', table: 'kube-proxy' };
    items.push(
      { table: { family: 'ip6', name: 'kube-proxy', handle: h() } },
      {
        map: {
          ...t6,
          name: 'service-ips',
          type: ['ipv6_addr', 'inet_proto', 'inet_service'],
          handle: h(),
          comment: 'ClusterIP, ExternalIP and LoadBalancer IP traffic',
          map: 'verdict',
        },
      },
      {
        chain: {
          ...t6,
          name: 'nat-prerouting',
          handle: h(),
          type: 'nat',
          hook: 'prerouting',
          prio: -100,
          policy: 'accept',
        },
      },
      {
        chain: {
          ...t6,
          name: 'nat-output',
          handle: h(),
          type: 'nat',
          hook: 'output',
          prio: -100,
          policy: 'accept',
        },
      },
      { chain: { ...t6, name: 'services', handle: h() } },
      { rule: { ...t6, chain: 'nat-prerouting', handle: h(), expr: [jump('services')] } },
      { rule: { ...t6, chain: 'nat-output', handle: h(), expr: [jump('services')] } },
      {
        rule: {
          ...t6,
          chain: 'services',
          handle: h(),
          expr: [
            {
              vmap: {
                key: { concat: [{ payload: { protocol: 'ip6', field: 'daddr' } }, l4proto, thDport] },
                data: '@service-ips',
              },
            },
          ],
        },
      },
    );
  }
  return { nftables: items };
}

/** The Services of a snapshot as kube-proxy sees them: ClusterIPs, ports, ready endpoint IPs. */
export function snapshotServices(s: Snapshot): ServiceSpec[] {
  const out: ServiceSpec[] = [];
  for (const svc of s.cluster.services) {
    const ip = svc.spec.clusterIP;
    if (!ip || ip === 'None' || svc.spec.type === 'ExternalName') continue;
    const ns = svc.metadata.namespace ?? 'default';
    const slices = s.cluster.endpointSlices.filter(
      (sl) =>
        (sl.metadata.namespace ?? 'default') === ns &&
        sl.metadata.labels?.['kubernetes.io/service-name'] === svc.metadata.name,
    );
    const endpoints = slices
      .flatMap((sl) => sl.endpoints ?? [])
      .filter((e) => e.conditions?.ready !== false)
      .flatMap((e) => e.addresses);
    out.push({
      namespace: ns,
      name: svc.metadata.name,
      clusterIP: ip,
      ports: (svc.spec.ports ?? []).map((p) => {
        const port: ServiceSpec['ports'][number] = {
          port: p.port,
          protocol: (p.protocol ?? 'TCP') as 'TCP' | 'UDP',
        };
        if (p.name) port.name = p.name;
        if (typeof p.targetPort === 'number') port.targetPort = p.targetPort;
        return port;
      }),
      endpoints,
    });
  }
  return out;
}

/** Gives a builder node kube-proxy's nftables table for the snapshot's Services, leaving its iptables rules as they are. */
export function addKubeProxyTable(s: Snapshot, node: string, opts: KubeProxyNftOptions = {}): void {
  const dp: NodeDatapath | undefined = s.nodes[node];
  if (!dp) throw new Error(`no node ${node}`);
  dp.nftRuleset = parseNftRuleset(JSON.stringify(kubeProxyNftJson(snapshotServices(s), opts)));
}

/**
 * Turns a builder node into an nftables-mode node: kube-proxy's iptables chains are gone (as
 * kube-proxy removes them when it starts in nftables mode) and its table holds the snapshot's
 * Services.
 */
export function toNftablesMode(s: Snapshot, node: string, opts: KubeProxyNftOptions = {}): void {
  const dp: NodeDatapath | undefined = s.nodes[node];
  if (!dp) throw new Error(`no node ${node}`);
  const kube = (c: string) => c.startsWith('KUBE-') && c !== 'KUBE-KUBELET-CANARY' && c !== 'KUBE-FIREWALL';
  for (const dump of [dp.iptablesNft, dp.iptablesLegacy]) {
    for (const table of Object.values(dump?.tables ?? {})) {
      table.rules = table.rules.filter((r) => !kube(r.chain) && !(r.target && kube(r.target)));
      for (const c of Object.keys(table.chains)) if (kube(c)) delete table.chains[c];
    }
  }
  addKubeProxyTable(s, node, opts);
}
