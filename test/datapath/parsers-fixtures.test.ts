/**
 * Parsers against output captured from real namespaces by scripts/capture-datapath-fixtures.ts
 * (a three-node flannel VXLAN datapath with kube-proxy and flannel iptables rules).
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { NODE_FILES } from '../../src/collect/bundle/layout.ts';
import { NODE_FILE_PARSERS, parseCniConfig } from '../../src/datapath/parsers/index.ts';
import { FIXTURES, readTopology } from './fixture-snapshot.ts';

const W1 = join(FIXTURES, 'flannel-3node', 'worker-1');
const read = (dir: string, file: string): string => readFileSync(join(dir, file), 'utf8');

describe('NODE_FILE_PARSERS', () => {
  it('has exactly one parser per NODE_FILES key', () => {
    assert.deepEqual(Object.keys(NODE_FILE_PARSERS).sort(), Object.keys(NODE_FILES).sort());
  });
});

describe('ip -d -j addr show', () => {
  const links = NODE_FILE_PARSERS.links(read(W1, NODE_FILES.links));
  const byName = new Map(links.map((l) => [l.ifname, l]));

  it('reads flannel.1 as a VXLAN device with its VNI, port, local address, underlay and learning', () => {
    const f = byName.get('flannel.1');
    assert.ok(f);
    assert.equal(f.kind, 'vxlan');
    assert.equal(f.mtu, 1450);
    assert.equal(f.address, 'a6:4e:77:00:00:01');
    assert.deepEqual(f.vxlan, { id: 1, port: 8472, local: '192.168.77.11', dev: 'eth0', learning: false });
    assert.deepEqual(
      f.addrs.filter((a) => a.family === 'inet').map((a) => `${a.local}/${a.prefixlen}`),
      ['10.244.1.0/32'],
    );
  });

  it('reads cni0 as a bridge with its address and enslaved veths', () => {
    const b = byName.get('cni0');
    assert.equal(b?.kind, 'bridge');
    assert.deepEqual(
      b?.addrs.find((a) => a.family === 'inet'),
      {
        family: 'inet',
        local: '10.244.1.1',
        prefixlen: 24,
        scope: 'global',
      },
    );
    const ports = links.filter((l) => l.master === 'cni0');
    assert.equal(ports.length, 2);
    assert.ok(ports.every((p) => p.kind === 'veth'));
  });

  it('keeps the underlay MTU and flags', () => {
    const eth0 = byName.get('eth0');
    assert.equal(eth0?.mtu, 1500);
    assert.equal(eth0?.kind, 'veth');
    assert.ok(eth0?.flags.includes('UP'));
    assert.equal(byName.get('lo')?.linkType, 'loopback');
  });
});

describe('ip -j route show table all', () => {
  const routes = NODE_FILE_PARSERS.routes(read(W1, NODE_FILES.routes));

  it('keeps onlink peer routes via flannel.1 in the main table', () => {
    const peer = routes.filter(
      (r) => r.dev === 'flannel.1' && r.table === 'main' && r.dst.startsWith('10.244.'),
    );
    assert.deepEqual(
      peer.map((r) => [r.dst, r.gateway, r.flags]),
      [
        ['10.244.2.0/24', '10.244.2.0', ['onlink']],
        ['10.244.3.0/24', '10.244.3.0', ['onlink']],
      ],
    );
  });

  it('normalises host routes to /32 and /128 and keeps their table', () => {
    const local = routes.find((r) => r.type === 'local' && r.dev === 'cni0' && !r.dst.includes(':'));
    assert.equal(local?.dst, '10.244.1.1/32');
    assert.equal(local?.table, 'local');
    assert.ok(
      routes.filter((r) => r.dst.includes(':') && r.type === 'local').every((r) => r.dst.endsWith('/128')),
    );
    assert.ok(routes.every((r) => r.dst === 'default' || r.dst.includes('/')));
  });

  it('reads the default route', () => {
    assert.deepEqual(
      routes.filter((r) => r.dst === 'default').map((r) => [r.gateway, r.dev, r.table]),
      [['192.168.77.1', 'eth0', 'main']],
    );
  });

  it('shows the seed-004 node without its peer routes', () => {
    const flushed = NODE_FILE_PARSERS.routes(
      read(join(FIXTURES, 'flannel-3node-routes-flushed', 'worker-2'), NODE_FILES.routes),
    );
    assert.equal(
      flushed.filter((r) => r.dev === 'flannel.1' && r.table === 'main' && r.dst.endsWith('/24')).length,
      0,
    );
    assert.ok(flushed.some((r) => r.dst === '10.244.2.0/24' && r.dev === 'cni0'));
  });
});

describe('ip -j neigh show and bridge -j fdb show', () => {
  const topo = readTopology();
  it('has a permanent neighbour per peer VTEP with its MAC', () => {
    const neigh = NODE_FILE_PARSERS.neighbors(read(W1, NODE_FILES.neighbors)).filter(
      (n) => n.dev === 'flannel.1',
    );
    assert.deepEqual(
      neigh.map((n) => [n.dst, n.lladdr, n.state]).sort(),
      topo.nodes
        .filter((n) => n.name !== 'worker-1')
        .map((n) => [n.podCIDR.replace('/24', ''), n.vtepMac, ['PERMANENT']]),
    );
  });
  it('has an FDB entry per peer VTEP pointing at its underlay address', () => {
    const fdb = NODE_FILE_PARSERS.fdb(read(W1, NODE_FILES.fdb)).filter((f) => f.dev === 'flannel.1');
    assert.deepEqual(
      fdb.map((f) => [f.mac, f.dst, f.state]).sort(),
      topo.nodes.filter((n) => n.name !== 'worker-1').map((n) => [n.vtepMac, n.internalIP, 'permanent']),
    );
  });
  it('reads bridge ports learnt on cni0 with their master', () => {
    const fdb = NODE_FILE_PARSERS.fdb(read(W1, NODE_FILES.fdb));
    assert.ok(fdb.some((f) => f.master === 'cni0' && f.dev.startsWith('veth')));
  });
  it('lacks the worker-3 entry in the fdb-missing capture', () => {
    const fdb = NODE_FILE_PARSERS.fdb(
      read(join(FIXTURES, 'flannel-3node-fdb-missing', 'worker-1'), NODE_FILES.fdb),
    );
    assert.deepEqual(
      fdb.filter((f) => f.dev === 'flannel.1').map((f) => f.dst),
      ['192.168.77.12'],
    );
  });
});

describe('iptables-save', () => {
  it('reads the nf_tables backend, tables, policies and kube-proxy rules', () => {
    const d = NODE_FILE_PARSERS.iptablesNft(read(W1, NODE_FILES.iptablesNft));
    assert.equal(d.backend, 'nf_tables');
    assert.deepEqual(Object.keys(d.tables).sort(), ['filter', 'nat']);
    assert.equal(d.tables['filter']?.chains['FORWARD'], 'ACCEPT');
    assert.equal(d.tables['nat']?.chains['KUBE-SERVICES'], '-');
    const svc = d.tables['nat']?.rules.find((r) => r.chain === 'KUBE-SERVICES' && r.proto === 'udp');
    assert.deepEqual(
      svc && { d: svc.destination, p: svc.proto, dport: svc.dport, c: svc.comment, t: svc.target },
      {
        d: '10.96.0.10/32',
        p: 'udp',
        dport: '53',
        c: 'kube-system/kube-dns:dns cluster IP',
        t: 'KUBE-SVC-TCOU7JCQXEZGVUNU',
      },
    );
  });

  it('reads MASQUERADE with its quoted comment, and negations', () => {
    const nat = NODE_FILE_PARSERS.iptablesNft(read(W1, NODE_FILES.iptablesNft)).tables['nat']!;
    const masq = nat.rules.find((r) => r.chain === 'KUBE-POSTROUTING' && r.target === 'MASQUERADE');
    assert.equal(masq?.comment, 'kubernetes service traffic requiring SNAT');
    assert.match(masq?.spec ?? '', /--random-fully$/);
    const ret = nat.rules.find((r) => r.chain === 'KUBE-POSTROUTING' && r.target === 'RETURN');
    assert.deepEqual(ret?.negations, ['--mark']);
    const flannel = nat.rules.filter((r) => r.chain === 'FLANNEL-POSTRTG' && r.negations.includes('-s'));
    assert.ok(flannel.length >= 2);
    assert.ok(flannel.every((r) => r.source === '10.244.0.0/16'));
  });

  it('reads the legacy backend from an iptables-legacy-save header', () => {
    const dir = join(FIXTURES, 'flannel-legacy', 'worker-1');
    const legacy = NODE_FILE_PARSERS.iptablesLegacy(read(dir, NODE_FILES.iptablesLegacy));
    assert.equal(legacy.backend, 'legacy');
    assert.ok(legacy.tables['nat']?.rules.some((r) => r.target === 'KUBE-SVC-TCOU7JCQXEZGVUNU'));
  });

  it('reads an empty dump (no tables loaded in that backend) as no tables', () => {
    const d = NODE_FILE_PARSERS.iptablesLegacy(read(W1, NODE_FILES.iptablesLegacy));
    assert.deepEqual(d, { backend: 'unknown', tables: {} });
  });
});

describe('nft -j list ruleset', () => {
  const rs = NODE_FILE_PARSERS.nftRuleset(read(W1, NODE_FILES.nftRuleset));
  it('lists the iptables-nft tables and the native table', () => {
    assert.deepEqual(rs.tables.map((t) => `${t.family} ${t.name}`).sort(), [
      'inet ndt-guard',
      'ip filter',
      'ip nat',
    ]);
  });
  it('keeps hooks, types and policies of base chains', () => {
    const fwd = rs.chains.find((c) => c.table === 'ndt-guard' && c.name === 'forward');
    assert.deepEqual(fwd, {
      family: 'inet',
      table: 'ndt-guard',
      name: 'forward',
      hook: 'forward',
      policy: 'accept',
      type: 'filter',
    });
  });
  it('renders rules readably, with comments', () => {
    const drop = rs.rules.find(
      (r) => r.table === 'ndt-guard' && r.chain === 'forward' && r.text.endsWith('drop'),
    );
    assert.equal(drop?.text, 'ip saddr 203.0.113.0/24 udp dport 8472 counter drop');
    assert.equal(drop?.comment, 'overlay traffic from outside the cluster');
    const masq = rs.rules.find((r) => r.chain === 'postrouting');
    assert.equal(masq?.text, 'ip saddr 10.244.0.0/16 ip daddr != 10.244.0.0/16 oifname eth0 masquerade');
    const nodeports = rs.rules.find((r) => r.table === 'ndt-guard' && r.text.includes('30000-32767'));
    assert.equal(
      nodeports?.text,
      'iifname eth0 oifname cni0 meta l4proto { tcp, udp } th dport 30000-32767 accept',
    );
    const svc = rs.rules.find(
      (r) => r.table === 'nat' && r.chain === 'KUBE-SERVICES' && r.text.includes('10.96.0.10'),
    );
    assert.match(
      svc?.text ?? '',
      /^meta l4proto (udp|tcp) ip daddr 10\.96\.0\.10 xt match "comment" (udp|tcp) dport 53 counter jump KUBE-SVC-/,
    );
  });
});

describe('small node files', () => {
  it('sysctl: reads the forwarding and bridge-nf switches', () => {
    const s = NODE_FILE_PARSERS.sysctls(read(W1, NODE_FILES.sysctls));
    assert.equal(s['net.ipv4.ip_forward'], '1');
    assert.equal(s['net.ipv4.conf.all.forwarding'], '1');
    assert.ok('net.bridge.bridge-nf-call-iptables' in s);
  });
  it('subnet.env: network, subnet, MTU, ipmasq', () => {
    assert.deepEqual(NODE_FILE_PARSERS.flannelSubnetEnv(read(W1, NODE_FILES.flannelSubnetEnv)), {
      network: '10.244.0.0/16',
      subnet: '10.244.1.1/24',
      mtu: 1450,
      ipmasq: true,
    });
  });
  it('resolv.conf: the nameservers of this machine', () => {
    const text = read(W1, NODE_FILES.resolvConf);
    const r = NODE_FILE_PARSERS.resolvConf(text);
    assert.equal(r.nameservers.length, (text.match(/^nameserver /gm) ?? []).length);
    assert.ok(r.nameservers.length > 0);
  });
  it('vxlan-capture.json: packets per peer counted while pods talked across nodes', () => {
    const c = NODE_FILE_PARSERS.vxlanCapture(read(W1, NODE_FILES.vxlanCapture));
    assert.equal(c.port, 8472);
    assert.deepEqual(Object.keys(c.packetsByPeer).sort(), ['192.168.77.12', '192.168.77.13']);
    assert.equal(
      c.total,
      Object.values(c.packetsByPeer).reduce((a, b) => a + b, 0),
    );
  });
  it('vxlan-capture.json: rejects a wrong shape, naming the field', () => {
    const c = JSON.parse(read(W1, NODE_FILES.vxlanCapture)) as Record<string, unknown>;
    c['packetsByPeer'] = { '192.168.77.12': 'many' };
    assert.throws(
      () => NODE_FILE_PARSERS.vxlanCapture(JSON.stringify(c)),
      /packetsByPeer\["192\.168\.77\.12"\]/,
    );
    assert.throws(() => NODE_FILE_PARSERS.vxlanCapture('[]'), /expected an object/);
  });
  it('sysctl and subnet.env: a garbage line is an error naming the line', () => {
    assert.throws(() => NODE_FILE_PARSERS.sysctls(`${read(W1, NODE_FILES.sysctls)}garbage\n`), /line 9/);
    assert.throws(() => NODE_FILE_PARSERS.flannelSubnetEnv('FLANNEL_MTU=big\n'), /FLANNEL_MTU/);
  });
});

describe('CNI config', () => {
  const text = read(join(W1, 'cni-net.d'), '10-flannel.conflist');
  it('reads the flannel conflist plugin chain', () => {
    const c = parseCniConfig('10-flannel.conflist', text);
    assert.deepEqual(
      { name: c.name, v: c.cniVersion, plugins: c.plugins, error: c.error },
      {
        name: 'cbr0',
        v: '0.3.1',
        plugins: ['flannel', 'portmap'],
        error: undefined,
      },
    );
  });
  it('reads a single-plugin .conf', () => {
    const one = JSON.parse(text).plugins[0];
    const c = parseCniConfig(
      '10-flannel.conf',
      JSON.stringify({ name: 'cbr0', cniVersion: '0.3.1', ...one }),
    );
    assert.deepEqual(c.plugins, ['flannel']);
    assert.equal(c.error, undefined);
  });
  it('never throws on a cut-short file; it says what is wrong', () => {
    const c = parseCniConfig('10-flannel.conflist', text.slice(0, 60));
    assert.match(c.error ?? '', /not valid JSON/);
    assert.equal(c.raw, text.slice(0, 60));
    assert.match(parseCniConfig('x.conf', '{"name":"x"}').error ?? '', /neither a conflist/);
  });
});

describe('malformed (real files cut short)', () => {
  const M = join(FIXTURES, 'malformed');
  const cases: [keyof typeof NODE_FILES, RegExp][] = [
    ['links', /ip -d -j addr show: not valid JSON/],
    ['routes', /ip -j route show table all: not valid JSON/],
    ['neighbors', /ip -j neigh show: not valid JSON/],
    ['fdb', /bridge -j fdb show: not valid JSON/],
    ['nftRuleset', /nft -j list ruleset: not valid JSON/],
    ['iptablesNft', /iptables-save: table nat has no COMMIT \(truncated dump\)/],
  ];
  for (const [key, re] of cases) {
    it(`${NODE_FILES[key]} throws: ${re.source}`, () => {
      const parse = NODE_FILE_PARSERS[key] as (t: string) => unknown;
      assert.throws(() => parse(read(M, NODE_FILES[key])), re);
    });
  }
  it('wrong-shaped JSON names the entry', () => {
    assert.throws(() => NODE_FILE_PARSERS.routes('{"dst":"default"}'), /expected a JSON array/);
    assert.throws(() => NODE_FILE_PARSERS.routes('[{"gateway":"10.0.0.1"}]'), /entry 0 has no string "dst"/);
    assert.throws(() => NODE_FILE_PARSERS.nftRuleset('[]'), /expected \{"nftables"/);
    assert.throws(() => NODE_FILE_PARSERS.links(''), /empty input/);
  });
  it('iptables-save: a rule before any table, and an unknown line, are errors', () => {
    const text = read(W1, NODE_FILES.iptablesNft);
    const firstRule = text.split('\n').find((l) => l.startsWith('-A '))!;
    assert.throws(
      () => NODE_FILE_PARSERS.iptablesNft(`${firstRule}\n${text}`),
      /line 1: rule outside a table/,
    );
    assert.throws(
      () => NODE_FILE_PARSERS.iptablesNft(text.replace('COMMIT', 'COMMIT\nbogus')),
      /unexpected "bogus"/,
    );
  });
});
