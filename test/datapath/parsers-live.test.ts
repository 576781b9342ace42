/**
 * Parsers against what this machine's iproute2, iptables (both backends) and nft print right
 * now: each test builds a namespace with randomised values, runs the real command inside it
 * and checks the parse against what it configured. Needs root; skipped otherwise.
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import {
  parseBridgeFdb,
  parseIpAddr,
  parseIpNeigh,
  parseIpRoute,
  parseIptablesSave,
  parseNftRuleset,
  parseProcModules,
  parseSysctl,
} from '../../src/datapath/parsers/index.ts';
import { canUseNetns, createNetns, destroyNetns, nsExec, run, uniqueNetnsName } from '../support/netns.ts';

const skip = canUseNetns() ? false : 'needs root and iproute2 to create network namespaces';
const rnd = (lo: number, hi: number): number => lo + Math.floor(Math.random() * (hi - lo + 1));

describe('live iproute2 output', { skip }, () => {
  let ns = '';
  const vni = rnd(2, 16_000_000);
  const port = rnd(1024, 60_000);
  const octet = rnd(2, 250);
  const mac = `02:00:00:00:${rnd(16, 255).toString(16)}:${rnd(16, 255).toString(16)}`;
  const ip = (...a: string[]): string => run(['ip', '-n', ns, ...a]);

  before(() => {
    ns = createNetns(uniqueNetnsName('live'));
    ip('link', 'add', 'u0', 'mtu', '1500', 'type', 'veth', 'peer', 'name', 'u1');
    ip('addr', 'add', `172.31.${octet}.10/24`, 'dev', 'u0');
    ip('link', 'set', 'u0', 'up');
    ip(
      'link',
      'add',
      'vx0',
      'type',
      'vxlan',
      'id',
      String(vni),
      'dstport',
      String(port),
      'local',
      `172.31.${octet}.10`,
      'dev',
      'u0',
    );
    ip('link', 'set', 'vx0', 'mtu', '1400', 'up');
    ip('link', 'add', 'br9', 'type', 'bridge');
    ip('link', 'add', 'p0', 'type', 'veth', 'peer', 'name', 'p1');
    ip('link', 'set', 'p0', 'master', 'br9');
    ip('addr', 'add', `10.${octet}.0.1/24`, 'dev', 'br9');
    ip('link', 'set', 'br9', 'up');
    ip('route', 'add', `10.${octet}.7.0/24`, 'via', `10.${octet}.7.0`, 'dev', 'vx0', 'onlink');
    ip('route', 'add', 'blackhole', `10.${octet}.8.0/24`);
    ip('route', 'add', `10.${octet}.9.0/24`, 'via', `172.31.${octet}.1`, 'metric', '77');
    ip('route', 'add', `10.${octet}.10.5`, 'dev', 'u0', 'table', '100');
    ip('neigh', 'replace', `10.${octet}.7.0`, 'lladdr', mac, 'dev', 'vx0', 'nud', 'permanent');
    run(['bridge', '-n', ns, 'fdb', 'append', mac, 'dev', 'vx0', 'dst', `172.31.${octet}.20`]);
  });
  after(() => destroyNetns(ns));

  it('ip -d -j addr show: vxlan details, bridge port, addresses', () => {
    const links = parseIpAddr(nsExec(ns, ['ip', '-d', '-j', 'addr', 'show']));
    const vx = links.find((l) => l.ifname === 'vx0');
    assert.equal(vx?.kind, 'vxlan');
    assert.equal(vx?.mtu, 1400);
    assert.deepEqual(vx?.vxlan, { id: vni, port, local: `172.31.${octet}.10`, dev: 'u0', learning: true });
    assert.equal(links.find((l) => l.ifname === 'p0')?.master, 'br9');
    assert.equal(links.find((l) => l.ifname === 'p0')?.kind, 'veth');
    assert.equal(links.find((l) => l.ifname === 'br9')?.kind, 'bridge');
    assert.deepEqual(
      links
        .find((l) => l.ifname === 'br9')
        ?.addrs.filter((a) => a.family === 'inet')
        .map((a) => a.local),
      [`10.${octet}.0.1`],
    );
    assert.equal(links.find((l) => l.ifname === 'u0')?.link, 'u1');
  });

  it('ip -j route show table all: onlink, blackhole, metric, other tables, host routes', () => {
    const routes = parseIpRoute(nsExec(ns, ['ip', '-j', 'route', 'show', 'table', 'all']));
    const find = (dst: string): (typeof routes)[number] | undefined => routes.find((r) => r.dst === dst);
    assert.deepEqual(find(`10.${octet}.7.0/24`)?.flags, ['onlink']);
    assert.equal(find(`10.${octet}.8.0/24`)?.type, 'blackhole');
    assert.equal(find(`10.${octet}.9.0/24`)?.metric, 77);
    assert.equal(find(`10.${octet}.10.5/32`)?.table, '100');
    assert.equal(find(`10.${octet}.0.1/32`)?.table, 'local');
  });

  it('ip -j neigh show and bridge -j fdb show: the VTEP entries', () => {
    const n = parseIpNeigh(nsExec(ns, ['ip', '-j', 'neigh', 'show'])).find((x) => x.dev === 'vx0');
    assert.deepEqual(n, { dst: `10.${octet}.7.0`, dev: 'vx0', lladdr: mac, state: ['PERMANENT'] });
    const f = parseBridgeFdb(nsExec(ns, ['bridge', '-j', 'fdb', 'show'])).find(
      (x) => x.dev === 'vx0' && x.dst,
    );
    assert.deepEqual(f, { mac, dev: 'vx0', dst: `172.31.${octet}.20`, flags: ['self'], state: 'permanent' });
  });

  it('sysctl inside the namespace', () => {
    nsExec(ns, ['sysctl', '-q', '-w', 'net.ipv4.ip_forward=1']);
    const s = parseSysctl(nsExec(ns, ['sysctl', 'net.ipv4.ip_forward', 'net.ipv4.conf.all.rp_filter']));
    assert.equal(s['net.ipv4.ip_forward'], '1');
    assert.match(s['net.ipv4.conf.all.rp_filter'] ?? '', /^[012]$/);
  });

  it('parses 5,000 real routes (its speed is measured by the benchmarks)', () => {
    const batch: string[] = [];
    for (let i = 0; i < 5000; i++)
      batch.push(`route add 100.${64 + (i >> 8)}.${i & 255}.0/24 via 10.${octet}.7.0 dev vx0 onlink`);
    run(['ip', '-n', ns, '-batch', '-'], `${batch.join('\n')}\n`);
    const text = nsExec(ns, ['ip', '-j', 'route', 'show', 'table', 'all']);
    const routes = parseIpRoute(text);
    assert.ok(routes.filter((r) => r.dev === 'vx0').length >= 5000);
  });
});

describe('live iptables-save, both backends', { skip }, () => {
  let ns = '';
  const octet = rnd(2, 250);
  const comment = `svc "quoted" name ${octet}`;
  const rules = [
    '*nat',
    ':KUBE-SERVICES - [0:0]',
    ':KUBE-SVC-TEST - [0:0]',
    '-A PREROUTING -m comment --comment "kubernetes service portals" -j KUBE-SERVICES',
    `-A KUBE-SERVICES -d 10.96.${octet}.10/32 -p udp -m comment --comment ${JSON.stringify(comment)} -m udp --dport 53 -j KUBE-SVC-TEST`,
    `-A KUBE-SVC-TEST ! -s 10.244.0.0/16 -d 10.96.${octet}.10/32 -p udp -m udp --dport 53 -j MARK --set-xmark 0x4000/0x4000`,
    'COMMIT',
    '*filter',
    ':FORWARD DROP [0:0]',
    ':ND-FWD - [0:0]',
    '-A FORWARD ! -i lo -g ND-FWD',
    '-A ND-FWD -p tcp -m multiport --dports 80,443,8000:8100 -j ACCEPT',
    '-A ND-FWD -m conntrack ! --ctstate RELATED,ESTABLISHED -j REJECT --reject-with icmp-port-unreachable',
    'COMMIT',
    '',
  ].join('\n');
  before(() => {
    ns = createNetns(uniqueNetnsName('ipt'));
  });
  after(() => destroyNetns(ns));

  for (const backend of ['nft', 'legacy'] as const) {
    it(`iptables-${backend}-save: backend, policies, quoted comment, negations, goto, multiport`, () => {
      nsExec(ns, [`iptables-${backend}-restore`], rules);
      const d = parseIptablesSave(nsExec(ns, [`iptables-${backend}-save`]));
      assert.equal(d.backend, backend === 'nft' ? 'nf_tables' : 'legacy');
      assert.equal(d.tables['filter']?.chains['FORWARD'], 'DROP');
      const svc = d.tables['nat']?.rules.find(
        (r) => r.chain === 'KUBE-SERVICES' && r.target === 'KUBE-SVC-TEST',
      );
      assert.equal(svc?.comment, comment);
      assert.equal(svc?.dport, '53');
      const mark = d.tables['nat']?.rules.find((r) => r.chain === 'KUBE-SVC-TEST');
      assert.deepEqual(mark?.negations, ['-s']);
      assert.equal(mark?.source, '10.244.0.0/16');
      const fwd = d.tables['filter']?.rules.find((r) => r.chain === 'FORWARD');
      assert.deepEqual([fwd?.target, fwd?.inIface, fwd?.negations], ['ND-FWD', 'lo', ['-i']]);
      const nd = d.tables['filter']?.rules.filter((r) => r.chain === 'ND-FWD');
      assert.equal(nd?.[0]?.dport, '80,443,8000:8100');
      assert.deepEqual(nd?.[1]?.negations, ['--ctstate']);
      assert.equal(nd?.[1]?.target, 'REJECT');
      // Flush this backend so the other one's dump is its own.
      nsExec(ns, [`iptables-${backend}`, '-t', 'nat', '-F']);
      nsExec(ns, [`iptables-${backend}`, '-t', 'nat', '-X']);
      nsExec(ns, [`iptables-${backend}`, '-F']);
      nsExec(ns, [`iptables-${backend}`, '-X']);
      nsExec(ns, [`iptables-${backend}`, '-P', 'FORWARD', 'ACCEPT']);
    });
  }

  it('nft -j list ruleset: native table with sets, ranges and a comment', () => {
    nsExec(
      ns,
      ['nft', '-f', '-'],
      [
        'table inet ndt-live {',
        '  chain input {',
        '    type filter hook input priority 0; policy drop;',
        `    tcp dport { 22, 6443 } accept comment "api ${octet}"`,
        '    udp dport 30000-32767 counter reject',
        '    tcp dport 25 reject with tcp reset',
        '  }',
        '}',
        '',
      ].join('\n'),
    );
    const rs = parseNftRuleset(nsExec(ns, ['nft', '-j', 'list', 'ruleset']));
    const chain = rs.chains.find((c) => c.table === 'ndt-live');
    assert.deepEqual([chain?.hook, chain?.policy, chain?.type], ['input', 'drop', 'filter']);
    const r = rs.rules.filter((x) => x.table === 'ndt-live');
    assert.equal(r[0]?.text, 'tcp dport { 22, 6443 } accept');
    assert.equal(r[0]?.comment, `api ${octet}`);
    assert.equal(r[1]?.text, 'udp dport 30000-32767 counter reject');
    assert.equal(r[2]?.text, 'tcp dport 25 reject with tcp reset');
  });
});

describe('/proc/modules', {
  skip: existsSync('/proc/modules') ? false : 'this kernel has no loadable modules',
}, () => {
  it('reads every module name', () => {
    const text = readFileSync('/proc/modules', 'utf8');
    const mods = parseProcModules(text);
    assert.equal(mods.length, text.split('\n').filter((l) => l.trim()).length);
  });
});
