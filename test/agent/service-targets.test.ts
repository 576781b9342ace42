/**
 * The agent's cluster DNS and API server targets, read from a node's kube-proxy rules in either
 * mode, and `dig`'s output read into an answer, a refusal or silence.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseDigOutput } from '../../src/agent/service-probe.ts';
import { type ServiceTarget, serviceTargets, targetsThisRound } from '../../src/agent/service-targets.ts';
import type { NodeDatapath } from '../../src/core/datapath-types.ts';
import { iptablesRule } from '../support/datapath-builder.ts';
import { toNftablesMode } from '../support/kube-proxy-nft-builder.ts';
import { SnapshotBuilder } from '../support/snapshot-builder.ts';

const key = (t: { service: string; via: string; ip: string; port: number; kind: string }): string =>
  `${t.service} ${t.via} ${t.ip}:${t.port} ${t.kind}`;

describe('agent service targets', () => {
  const s = SnapshotBuilder.flannel({ workers: 2 }).build();
  const [iptNode, nftNode] = Object.keys(s.nodes) as [string, string];
  toNftablesMode(s, nftNode);
  const dp = (n: string): NodeDatapath => s.nodes[n]!;
  const api = s.cluster.endpointSlices.find((e) => e.metadata.name?.startsWith('kubernetes'));
  const apiIp = api?.endpoints?.[0]?.addresses[0];
  const dnsIps = s.cluster.endpointSlices
    .filter((e) => e.metadata.labels?.['kubernetes.io/service-name'] === 'kube-dns')
    .flatMap((e) => (e.endpoints ?? []).flatMap((x) => x.addresses));

  for (const [mode, node] of [
    ['iptables', () => iptNode],
    ['nftables', () => nftNode],
  ] as const) {
    it(`reads kube-dns and the API server, by ClusterIP and at each endpoint, from ${mode} mode`, () => {
      const got = serviceTargets(dp(node()));
      assert.deepEqual(got.unresolved, []);
      const keys = got.targets.map(key).sort();
      assert.ok(apiIp && dnsIps.length === 2, 'the builder has the API server and two CoreDNS pods');
      assert.deepEqual(
        keys,
        [
          'kube-dns cluster-ip 10.96.0.10:53 dns-tcp',
          'kube-dns cluster-ip 10.96.0.10:53 dns-udp',
          ...dnsIps.flatMap((ip) => [
            `kube-dns endpoint ${ip}:53 dns-tcp`,
            `kube-dns endpoint ${ip}:53 dns-udp`,
          ]),
          'kubernetes cluster-ip 10.96.0.1:443 tls',
          `kubernetes endpoint ${apiIp}:6443 tls`,
        ].sort(),
      );
    });
  }

  it('names each Service it cannot probe, and why, when the rules lack it or there are none', () => {
    const noDns = structuredClone(dp(iptNode));
    const nat = noDns.iptablesNft?.tables['nat'] ?? noDns.iptablesLegacy?.tables['nat'];
    assert.ok(nat, 'the builder node has a nat table');
    nat.rules = nat.rules.filter((r) => !r.spec.includes('kube-system/kube-dns'));
    const partial = serviceTargets(noDns);
    assert.deepEqual(
      partial.unresolved.map((u) => u.service),
      ['kube-dns'],
    );
    assert.match(partial.unresolved[0]!.detail, /no ClusterIP for kube-system\/kube-dns/);
    assert.ok(partial.targets.every((t) => t.service === 'kubernetes'));

    const bare: NodeDatapath = { ...dp(iptNode) };
    delete bare.iptablesNft;
    delete bare.iptablesLegacy;
    delete bare.nftRuleset;
    const none = serviceTargets(bare);
    assert.deepEqual(none.targets, []);
    assert.deepEqual(
      none.unresolved.map((u) => u.service),
      ['kube-dns', 'kubernetes'],
    );
    assert.match(none.unresolved[0]!.detail, /no kube-proxy Service rules on this node/);
  });

  it('still probes the kube-dns ClusterIP when kube-proxy rejects it for want of endpoints', () => {
    const d = structuredClone(dp(iptNode));
    const dump = d.iptablesNft ?? d.iptablesLegacy;
    const nat = dump?.tables['nat'];
    const filter = dump?.tables['filter'];
    assert.ok(nat && filter, 'the builder node has nat and filter tables');
    // Every CoreDNS pod gone: kube-proxy drops the Service's nat chains and rejects in filter.
    nat.rules = nat.rules.filter((r) => !r.spec.includes('kube-system/kube-dns'));
    filter.chains['KUBE-SERVICES'] ??= '-';
    for (const [proto, port] of [
      ['udp', 'dns'],
      ['tcp', 'dns-tcp'],
    ])
      filter.rules.push(
        iptablesRule(
          `-A KUBE-SERVICES -d 10.96.0.10/32 -p ${proto} -m comment --comment "kube-system/kube-dns:${port} has no endpoints" -m ${proto} --dport 53 -j REJECT --reject-with icmp-port-unreachable`,
        ),
      );
    const got = serviceTargets(d);
    assert.deepEqual(got.unresolved, []);
    assert.deepEqual(got.targets.filter((t) => t.service === 'kube-dns').map(key), [
      'kube-dns cluster-ip 10.96.0.10:53 dns-udp',
      'kube-dns cluster-ip 10.96.0.10:53 dns-tcp',
    ]);
  });

  it("does not take kube-dns's other ports (CoreDNS metrics) for DNS", () => {
    const d = structuredClone(dp(iptNode));
    const nat = d.iptablesNft?.tables['nat'] ?? d.iptablesLegacy?.tables['nat'];
    assert.ok(nat);
    const dnsTcp = nat.rules.find(
      (r) => r.chain === 'KUBE-SERVICES' && r.spec.includes('kube-system/kube-dns:dns-tcp'),
    );
    assert.ok(dnsTcp?.target, 'the builder has the dns-tcp dispatch rule');
    nat.rules.push(
      iptablesRule(
        `-A KUBE-SERVICES -d 10.96.0.10/32 -p tcp -m comment --comment "kube-system/kube-dns:metrics cluster IP" -m tcp --dport 9153 -j ${dnsTcp.target}`,
      ),
    );
    const targets = serviceTargets(d).targets.map(key);
    assert.ok(targets.length > 0);
    assert.ok(
      targets.every((t) => !t.includes(':9153')),
      targets.join('\n'),
    );
  });

  it('does not take a Service whose name only starts like kube-dns or kubernetes', () => {
    const d = structuredClone(dp(iptNode));
    const nat = d.iptablesNft?.tables['nat'] ?? d.iptablesLegacy?.tables['nat'];
    assert.ok(nat);
    for (const r of nat.rules) {
      r.spec = r.spec.replaceAll('kube-system/kube-dns', 'kube-system/kube-dns-autoscaler');
      r.spec = r.spec.replaceAll('default/kubernetes', 'default/kubernetes-dashboard');
    }
    assert.deepEqual(serviceTargets(d).targets, []);
  });
});

describe('service targets of a round', () => {
  const endpoints = (n: number): ServiceTarget[] =>
    Array.from({ length: n }, (_, i) => `10.244.${i}.2`).flatMap((ip): ServiceTarget[] => [
      { service: 'kube-dns', via: 'endpoint', ip, port: 53, kind: 'dns-udp' },
      { service: 'kube-dns', via: 'endpoint', ip, port: 53, kind: 'dns-tcp' },
    ]);
  const all: ServiceTarget[] = [
    { service: 'kube-dns', via: 'cluster-ip', ip: '10.96.0.10', port: 53, kind: 'dns-udp' },
    { service: 'kube-dns', via: 'cluster-ip', ip: '10.96.0.10', port: 53, kind: 'dns-tcp' },
    { service: 'kubernetes', via: 'cluster-ip', ip: '10.96.0.1', port: 443, kind: 'tls' },
    { service: 'kubernetes', via: 'endpoint', ip: '192.168.0.10', port: 6443, kind: 'tls' },
    ...endpoints(10),
  ];

  it('probes every ClusterIP each round, at most k endpoints a Service, all within ceil(n/k) rounds', () => {
    const seen = new Set<string>();
    for (let round = 0; round < 4; round++) {
      const got = targetsThisRound(all, 'worker-17', round, 3);
      assert.equal(got.filter((t) => t.via === 'cluster-ip').length, 3);
      const dns = got.filter((t) => t.service === 'kube-dns' && t.via === 'endpoint');
      assert.equal(dns.length, 6, 'three endpoints, over UDP and TCP');
      assert.equal(new Set(dns.map((t) => t.ip)).size, 3);
      assert.equal(got.filter((t) => t.service === 'kubernetes' && t.via === 'endpoint').length, 1);
      for (const t of dns) seen.add(t.ip);
    }
    assert.equal(seen.size, 10, 'every CoreDNS endpoint within ceil(10/3) = 4 rounds');
  });

  it('spreads the agents of many nodes over the endpoints', () => {
    const firsts = new Set<string>();
    for (let n = 0; n < 50; n++)
      for (const t of targetsThisRound(all, `node-${n}`, 0, 1))
        if (t.service === 'kube-dns' && t.via === 'endpoint') firsts.add(t.ip);
    assert.ok(firsts.size >= 8, `50 agents' first round reached only ${firsts.size} of 10 endpoints`);
  });
});

describe('dig output', () => {
  it('reads the status and query time of an answer', () => {
    const text = [
      '; <<>> DiG 9.18.33-1~deb12u2-Debian <<>> +tries=1 +time=2 -p 53 @10.96.0.10 kubernetes.default.svc.cluster.local A',
      ';; global options: +cmd',
      ';; Got answer:',
      ';; ->>HEADER<<- opcode: QUERY, status: NOERROR, id: 22788',
      ';; flags: qr aa rd; QUERY: 1, ANSWER: 1, AUTHORITY: 0, ADDITIONAL: 1',
      '',
      ';; Query time: 3 msec',
      ';; SERVER: 10.96.0.10#53(10.96.0.10) (UDP)',
    ].join('\n');
    assert.deepEqual(parseDigOutput(text), { answered: true, rcode: 'NOERROR', ms: 3 });
    assert.deepEqual(parseDigOutput(text.replace('NOERROR', 'SERVFAIL')), {
      answered: true,
      rcode: 'SERVFAIL',
      ms: 3,
    });
  });

  it('tells silence from a refused connection', () => {
    assert.deepEqual(parseDigOutput(';; connection timed out; no servers could be reached\n'), {
      answered: false,
      detail: 'connection timed out; no servers could be reached',
    });
    const refused = parseDigOutput(';; communications error to 10.0.0.9#53: connection refused\n');
    assert.ok(!refused.answered && /refused/.test(refused.detail));
  });
});
