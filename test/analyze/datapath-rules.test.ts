import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { runRule as runRuleOnSnapshot } from '../../src/analyze/engine.ts';
import type { Rule } from '../../src/analyze/rule.ts';
import { cniBridgeAddressMismatch } from '../../src/analyze/rules/cni-bridge-address-mismatch.ts';
import { cniConfigMissing } from '../../src/analyze/rules/cni-config-missing.ts';
import { cniRoutesMissing } from '../../src/analyze/rules/cni-routes-missing.ts';
import { RULES } from '../../src/analyze/rules/index.ts';
import { nodeBridgeNfDisabled } from '../../src/analyze/rules/node-bridge-nf-disabled.ts';
import { nodeIpForwardDisabled } from '../../src/analyze/rules/node-ip-forward-disabled.ts';
import { nodeIptablesBackendMixed } from '../../src/analyze/rules/node-iptables-backend-mixed.ts';
import { nodeMasqueradeMissing } from '../../src/analyze/rules/node-masquerade-missing.ts';
import { overlayFdbMissing } from '../../src/analyze/rules/overlay-fdb-missing.ts';
import { overlayMtuMismatch } from '../../src/analyze/rules/overlay-mtu-mismatch.ts';
import { overlayPortBlocked } from '../../src/analyze/rules/overlay-port-blocked.ts';
import { overlayVxlanNoTraffic } from '../../src/analyze/rules/overlay-vxlan-no-traffic.ts';
import { proxyRulesMissing } from '../../src/analyze/rules/proxy-rules-missing.ts';
import type { NodeDatapath } from '../../src/core/datapath-types.ts';
import type { Finding, Snapshot } from '../../src/core/model.ts';
import { fixtureSnapshot } from '../datapath/fixture-snapshot.ts';
import {
  bridgeNfOff,
  captureVxlan,
  dropVxlanPort,
  ipForwardOff,
  iptablesRule,
  misdirectFdb,
  readdressCni0,
  removeCniConfig,
  removeFdb,
  removeKubeServices,
  removeMasquerade,
  removePeerRoutes,
  setMtu,
  setUnderlayMtu,
  splitIptables,
  wrongRoute,
} from '../support/datapath-builder.ts';
import { SnapshotBuilder } from '../support/snapshot-builder.ts';

export const DATAPATH_RULES: Rule[] = [
  cniRoutesMissing,
  cniBridgeAddressMismatch,
  cniConfigMissing,
  overlayFdbMissing,
  overlayPortBlocked,
  overlayMtuMismatch,
  overlayVxlanNoTraffic,
  nodeIpForwardDisabled,
  nodeBridgeNfDisabled,
  nodeMasqueradeMissing,
  nodeIptablesBackendMixed,
  proxyRulesMissing,
];

type Outcome = { status: 'skipped'; reason: string } | { status: 'ran'; findings: Finding[] };

function runRule(rule: Rule, snapshot: Snapshot): Outcome {
  const { outcome, findings } = runRuleOnSnapshot(rule, snapshot);
  if (outcome.status === 'skipped') return { status: 'skipped', reason: outcome.reason };
  assert.notEqual(outcome.status, 'error', JSON.stringify(outcome));
  return { status: 'ran', findings };
}

function findings(rule: Rule, snapshot: Snapshot): Finding[] {
  const o = runRule(rule, snapshot);
  assert.equal(o.status, 'ran', o.status === 'skipped' ? o.reason : '');
  return o.status === 'ran' ? o.findings : [];
}

function cluster(mutate?: (nodes: Record<string, NodeDatapath>) => void): Snapshot {
  const b = SnapshotBuilder.flannel({ workers: 3 });
  if (mutate) b.edit((s) => mutate(s.nodes));
  return b.build();
}

function text(f: Finding): string {
  return [f.summary, ...f.evidence.flatMap((e) => [e.observed, e.expected ?? ''])].join('\n');
}

describe('datapath rules on a healthy cluster', () => {
  it('every datapath rule runs and finds nothing on the builder cluster', () => {
    const s = cluster((n) => {
      for (const node of Object.keys(n)) {
        const peers = Object.fromEntries(
          Object.keys(n)
            .filter((p) => p !== node)
            .map((p) => [p, 40]),
        );
        captureVxlan(n, node, peers);
      }
    });
    for (const rule of DATAPATH_RULES) {
      assert.deepEqual(findings(rule, s), [], rule.id);
    }
  });

  it('finds nothing on the datapaths captured from real nodes', () => {
    const s = fixtureSnapshot();
    for (const rule of DATAPATH_RULES) {
      const o = runRule(rule, s);
      if (o.status === 'ran') assert.deepEqual(o.findings, [], rule.id);
    }
  });

  it('every rule is registered', () => {
    for (const rule of DATAPATH_RULES) assert.ok(RULES.includes(rule), rule.id);
  });
});

interface FaultCase {
  name: string;
  rule: Rule;
  category: string;
  node: string;
  mutate: (n: Record<string, NodeDatapath>) => void;
  evidence: RegExp[];
}

const CASES: FaultCase[] = [
  {
    name: 'seed 004: peer routes gone on worker-2',
    rule: cniRoutesMissing,
    category: 'cni.routes-missing',
    node: 'worker-2',
    mutate: (n) => removePeerRoutes(n, 'worker-2'),
    evidence: [
      /10\.244\.2\.0\/24 dev cni0/,
      /NO ROUTES TO 10\.244\.0\.0\/24, 10\.244\.1\.0\/24 or 10\.244\.3\.0\/24/,
      /10\.244\.1\.0\/24 via 10\.244\.1\.0 dev flannel\.1 onlink/,
    ],
  },
  {
    name: 'a route points the wrong way',
    rule: cniRoutesMissing,
    category: 'cni.routes-missing',
    node: 'worker-1',
    mutate: (n) => wrongRoute(n, 'worker-1', 'worker-3'),
    evidence: [
      /10\.244\.3\.0\/24 via 10\.244\.0\.0 dev flannel\.1 onlink/,
      /expected|10\.244\.3\.0\/24 via 10\.244\.3\.0/,
    ],
  },
  {
    name: 'seed 002: cni0 carries an address outside the pod subnet',
    rule: cniBridgeAddressMismatch,
    category: 'cni.bridge-address-mismatch',
    node: 'worker-2',
    mutate: (n) => readdressCni0(n, 'worker-2', '10.244.0.1/16'),
    evidence: [/inet 10\.244\.0\.1\/16/, /inet 10\.244\.2\.1\/24/],
  },
  {
    name: 'cni0 with a foreign range',
    rule: cniBridgeAddressMismatch,
    category: 'cni.bridge-address-mismatch',
    node: 'worker-3',
    mutate: (n) => readdressCni0(n, 'worker-3', '172.17.0.1/16'),
    evidence: [/172\.17\.0\.1\/16/, /outside its pod subnet 10\.244\.3\.0\/24/],
  },
  {
    name: 'empty /etc/cni/net.d',
    rule: cniConfigMissing,
    category: 'cni.config-missing',
    node: 'worker-1',
    mutate: (n) => removeCniConfig(n, 'worker-1'),
    evidence: [/no files in \/etc\/cni\/net\.d/],
  },
  {
    name: 'conflist that does not parse',
    rule: cniConfigMissing,
    category: 'cni.config-missing',
    node: 'worker-1',
    mutate: (n) => {
      n['worker-1']!.cniConfigs = [
        {
          file: '10-flannel.conflist',
          plugins: [],
          raw: '{"name": "cbr0",',
          error: 'Unexpected end of JSON input',
        },
      ];
    },
    evidence: [/parse error/],
  },
  {
    name: 'conflist without the flannel plugin',
    rule: cniConfigMissing,
    category: 'cni.config-missing',
    node: 'worker-3',
    mutate: (n) => {
      n['worker-3']!.cniConfigs = [
        { file: '10-flannel.conflist', name: 'cbr0', plugins: ['bridge', 'portmap'], raw: '{}' },
      ];
    },
    evidence: [/\[bridge, portmap\]/, /plugin type flannel/],
  },
  {
    name: 'FDB and neighbour entries for worker-3 missing on worker-1',
    rule: overlayFdbMissing,
    category: 'overlay.fdb-missing',
    node: 'worker-1',
    mutate: (n) => removeFdb(n, 'worker-1', 'worker-3'),
    evidence: [
      /no neighbour for 10\.244\.3\.0 on flannel\.1 \(worker-3\)/,
      /a6:4e:77:00:00:04 dev flannel\.1 dst 192\.168\.1\.13/,
    ],
  },
  {
    name: 'FDB entry pointing at the wrong node',
    rule: overlayFdbMissing,
    category: 'overlay.fdb-missing',
    node: 'worker-1',
    mutate: (n) => misdirectFdb(n, 'worker-1', 'worker-3', 'worker-2'),
    evidence: [/dst 192\.168\.1\.12/, /dst 192\.168\.1\.13 \(worker-3\)/],
  },
  {
    name: 'VXLAN port dropped on worker-2',
    rule: overlayPortBlocked,
    category: 'overlay.port-blocked',
    node: 'worker-2',
    mutate: (n) => dropVxlanPort(n, 'worker-2'),
    evidence: [/iptables-nft filter INPUT: -A INPUT -p udp -m udp --dport 8472 -j DROP/],
  },
  {
    name: 'VXLAN port dropped from one peer',
    rule: overlayPortBlocked,
    category: 'overlay.port-blocked',
    node: 'worker-3',
    mutate: (n) => dropVxlanPort(n, 'worker-3', 'worker-1'),
    evidence: [/-s 192\.168\.1\.11\/32 -p udp -m udp --dport 8472 -j DROP/],
  },
  {
    name: 'flannel.1 MTU larger than the underlay allows',
    rule: overlayMtuMismatch,
    category: 'overlay.mtu-mismatch',
    node: 'worker-1',
    mutate: (n) => setMtu(n, 'worker-1', 1500),
    evidence: [/flannel\.1 mtu 1500, underlay eth0 mtu 1500/, /<= 1450/, /FLANNEL_MTU=1450/],
  },
  {
    name: 'underlay MTU shrunk under the overlay',
    rule: overlayMtuMismatch,
    category: 'overlay.mtu-mismatch',
    node: 'worker-2',
    mutate: (n) => setUnderlayMtu(n, 'worker-2', 1400),
    evidence: [/underlay eth0 mtu 1400/, /<= 1350/],
  },
  {
    name: 'ip_forward off',
    rule: nodeIpForwardDisabled,
    category: 'node.ip-forward-disabled',
    node: 'worker-3',
    mutate: (n) => ipForwardOff(n, 'worker-3'),
    evidence: [/net\.ipv4\.ip_forward = 0/],
  },
  {
    name: 'bridge-nf-call-iptables 0',
    rule: nodeBridgeNfDisabled,
    category: 'node.bridge-nf-disabled',
    node: 'worker-1',
    mutate: (n) => bridgeNfOff(n, 'worker-1'),
    evidence: [/bridge-nf-call-iptables = 0/],
  },
  {
    name: 'br_netfilter not loaded',
    rule: nodeBridgeNfDisabled,
    category: 'node.bridge-nf-disabled',
    node: 'worker-2',
    mutate: (n) => bridgeNfOff(n, 'worker-2', true),
    evidence: [/br_netfilter is not loaded/],
  },
  {
    name: "flannel's MASQUERADE rules removed",
    rule: nodeMasqueradeMissing,
    category: 'node.masquerade-missing',
    node: 'worker-2',
    mutate: (n) => removeMasquerade(n, 'worker-2'),
    evidence: [
      /no MASQUERADE for 10\.244\.2\.0\/24/,
      /FLANNEL-POSTRTG -s 10\.244\.0\.0\/16 ! -d 224\.0\.0\.0\/4 -j MASQUERADE/,
    ],
  },
  {
    name: 'POSTROUTING no longer jumps to FLANNEL-POSTRTG',
    rule: nodeMasqueradeMissing,
    category: 'node.masquerade-missing',
    node: 'worker-1',
    mutate: (n) => removeMasquerade(n, 'worker-1', 'jump'),
    evidence: [/POSTROUTING does not jump to it/],
  },
  {
    name: 'rules split between legacy and nft',
    rule: nodeIptablesBackendMixed,
    category: 'node.iptables-backend-mixed',
    node: 'worker-2',
    mutate: (n) => splitIptables(n, 'worker-2'),
    evidence: [/rules in .*nat\/KUBE-SERVICES/, /filter\/FLANNEL-FWD/],
  },
  {
    name: 'KUBE-SERVICES missing while kube-proxy runs',
    rule: proxyRulesMissing,
    category: 'proxy.rules-missing',
    node: 'worker-3',
    mutate: (n) => removeKubeServices(n, 'worker-3'),
    evidence: [/no KUBE-SERVICES chain in nat/],
  },
  {
    name: 'a Service with ready endpoints has no KUBE-SVC',
    rule: proxyRulesMissing,
    category: 'proxy.rules-missing',
    node: 'worker-1',
    mutate: (n) => {
      const nat = n['worker-1']!.iptablesNft!.tables['nat']!;
      nat.rules = nat.rules.filter(
        (r) => !(r.chain === 'KUBE-SERVICES' && r.destination === '10.96.0.10/32'),
      );
    },
    evidence: [/kube-system\/kube-dns \(10\.96\.0\.10\)/],
  },
];

describe('datapath rules on their faults', () => {
  for (const c of CASES) {
    it(`${c.rule.id}: ${c.name}`, () => {
      const fs = findings(c.rule, cluster(c.mutate));
      assert.equal(fs.length, 1, fs.map((f) => f.summary).join('\n'));
      const f = fs[0]!;
      assert.equal(f.cause?.category, c.category);
      assert.deepEqual(f.subject, { kind: 'Node', name: c.node });
      assert.equal(f.id, `${c.rule.id}/Node//${c.node}`);
      assert.ok(f.cause.confidence >= 0.6 && f.cause.confidence <= 1);
      assert.ok(f.cause.remediation.length > 0);
      assert.ok(f.severity !== 'info');
      const t = text(f);
      for (const re of c.evidence) assert.match(t, re);
    });
  }

  it('other datapath rules stay quiet on each fault they do not own', () => {
    for (const c of CASES) {
      const s = cluster(c.mutate);
      for (const rule of DATAPATH_RULES) {
        if (rule === c.rule) continue;
        const o = runRule(rule, s);
        if (o.status === 'ran')
          assert.deepEqual(
            o.findings.map((f) => f.id),
            [],
            `${c.name}: ${rule.id}`,
          );
      }
    }
  });

  it('findings are stable for the same input', () => {
    const a = findings(
      cniRoutesMissing,
      cluster((n) => removePeerRoutes(n, 'worker-2')),
    );
    const b = findings(
      cniRoutesMissing,
      cluster((n) => removePeerRoutes(n, 'worker-2')),
    );
    assert.deepEqual(a, b);
  });
});

describe('datapath rules on captured real faults', () => {
  it('seed 004 as captured: worker-2 after `ip route flush dev flannel.1`', () => {
    const fs = findings(cniRoutesMissing, fixtureSnapshot({ 'worker-2': 'flannel-3node-routes-flushed' }));
    assert.equal(fs.length, 1);
    assert.equal(fs[0]!.subject.name, 'worker-2');
    assert.match(text(fs[0]!), /NO ROUTES TO 10\.244\.1\.0\/24 or 10\.244\.3\.0\/24/);
  });

  it('worker-1 without the FDB entry for worker-3', () => {
    const fs = findings(overlayFdbMissing, fixtureSnapshot({ 'worker-1': 'flannel-3node-fdb-missing' }));
    assert.equal(fs.length, 1);
    assert.equal(fs[0]!.subject.name, 'worker-1');
    assert.match(fs[0]!.summary, /worker-3/);
  });
});

describe('datapath rules: corroboration and precision', () => {
  it('overlay-port-blocked names the rule and gains confidence from failed cross-node probes and a silent capture', () => {
    const s = cluster((n) => {
      dropVxlanPort(n, 'worker-2');
      for (const node of Object.keys(n)) {
        const peers = Object.fromEntries(
          Object.keys(n)
            .filter((p) => p !== node)
            .map((p) => [p, node === 'worker-2' || p === 'worker-2' ? 0 : 40]),
        );
        captureVxlan(n, node, peers);
      }
    });
    for (const r of s.probes!.results) {
      if (r.scenario === 'pod-to-pod-icmp' && (r.from.node === 'worker-2' || r.to.node === 'worker-2')) {
        r.outcome = { status: 'fail', error: 'timeout' };
      }
    }
    const [f] = findings(overlayPortBlocked, s);
    assert.ok(f);
    assert.equal(f.cause?.confidence, 0.95);
    assert.match(text(f), /no VXLAN packets exchanged with worker-2/);
    assert.match(text(f), /pod-to-pod-icmp .* FAIL \(timeout\)/);
    const silent = findings(overlayVxlanNoTraffic, s);
    assert.ok(silent.some((x) => x.subject.name === 'worker-2' && x.symptom?.kind === 'vxlan-no-traffic'));
  });

  it('overlay-port-blocked ignores a DROP preceded by an ACCEPT for the same port, and other ports', () => {
    const s = cluster((n) => {
      const filter = n['worker-1']!.iptablesNft!.tables['filter']!;
      filter.rules.unshift(
        iptablesRule('-A INPUT -p udp -m udp --dport 8472 -j ACCEPT'),
        iptablesRule('-A INPUT -p udp -m udp --dport 8472 -j DROP'),
        iptablesRule('-A INPUT -p udp -m udp --dport 4789 -j DROP'),
        iptablesRule('-A INPUT -s 203.0.113.0/24 -p udp -m udp --dport 8472 -j DROP'),
      );
    });
    assert.deepEqual(findings(overlayPortBlocked, s), []);
  });

  it('overlay-port-blocked follows jumps into user chains and reads multiport', () => {
    const s = cluster((n) => {
      const filter = n['worker-1']!.iptablesNft!.tables['filter']!;
      filter.chains['FW-IN'] = '-';
      filter.rules.unshift(iptablesRule('-A INPUT -j FW-IN'));
      filter.rules.push(
        iptablesRule(
          '-A FW-IN -p udp -m multiport --dports 4789,8472 -j REJECT --reject-with icmp-port-unreachable',
        ),
      );
    });
    const [f] = findings(overlayPortBlocked, s);
    assert.match(f!.summary, /iptables-nft filter FW-IN/);
  });

  it('node-masquerade-missing is corroborated by external probes failing from that node only', () => {
    const s = cluster((n) => removeMasquerade(n, 'worker-2'));
    s.probes!.results.push(
      ...['worker-1', 'worker-2'].map((node) => ({
        id: `external/${node}/example.org`,
        scenario: 'external' as const,
        from: { node },
        to: { name: 'https://example.org' },
        expect: 'pass' as const,
        outcome:
          node === 'worker-2'
            ? ({ status: 'fail', error: 'timeout' } as const)
            : ({ status: 'pass' } as const),
      })),
    );
    const [f] = findings(nodeMasqueradeMissing, s);
    assert.equal(f?.cause?.confidence, 0.95);
    assert.match(text(f!), /external worker-2 -> https:\/\/example\.org: FAIL/);
  });

  it('node-masquerade-missing honours FLANNEL_IPMASQ=false', () => {
    const s = cluster((n) => {
      removeMasquerade(n, 'worker-2');
      n['worker-2']!.flannelSubnetEnv!.ipmasq = false;
    });
    assert.deepEqual(findings(nodeMasqueradeMissing, s), []);
  });

  it('overlay-mtu-mismatch is corroborated by MTU probes: small passes, large fails', () => {
    const s = cluster((n) => setMtu(n, 'worker-1', 1500, true));
    s.probes!.results.push(
      ...[1200, 1472].map((size) => ({
        id: `mtu/worker-1/worker-2/${size}`,
        scenario: 'mtu' as const,
        from: { node: 'worker-1' },
        to: { node: 'worker-2', ip: '10.244.2.250' },
        size,
        expect: 'pass' as const,
        outcome:
          size > 1400 ? ({ status: 'fail', error: 'timeout' } as const) : ({ status: 'pass' } as const),
      })),
    );
    const [f] = findings(overlayMtuMismatch, s);
    assert.equal(f?.cause?.confidence, 0.95);
    assert.match(text(f!), /size 1200.*pass/);
  });

  /** A healthy cluster whose full-size probes to and from worker-2 are lost, as on a short switch path. */
  function shortPathTo(node: string): Snapshot {
    const s = cluster();
    const names = s.cluster.nodes.map((n) => n.metadata.name);
    for (const from of names)
      for (const to of names) {
        if (from === to) continue;
        const lost = from === node || to === node;
        s.probes!.results.push({
          id: `mtu/${from}/${to}/1422`,
          scenario: 'mtu',
          from: { node: from },
          to: { node: to, ip: `10.244.${names.indexOf(to)}.250` },
          size: 1422,
          expect: 'pass',
          outcome: lost ? { status: 'fail', error: 'timeout' } : { status: 'pass' },
        });
      }
    return s;
  }

  it('overlay-mtu-mismatch from probes alone: the node every lost full-size packet shares', () => {
    const f = findings(overlayMtuMismatch, shortPathTo('worker-2'));
    assert.equal(f.length, 1, JSON.stringify(f.map((x) => x.summary)));
    assert.deepEqual([f[0]!.subject.kind, f[0]!.subject.name], ['Node', 'worker-2']);
    assert.match(f[0]!.summary, /1422 bytes, don't fragment\) to and from worker-2 are lost/);
  });

  it('overlay-mtu-mismatch does not read size into losses where small packets were lost too', () => {
    const s = shortPathTo('worker-2');
    // A firewall that comes and goes: some pings got through, a TCP connect on each pair did not.
    for (const r of s.probes!.results)
      if (r.scenario === 'pod-to-pod-icmp' && r.from.node === 'worker-2')
        s.probes!.results.push({
          ...r,
          id: r.id.replace('icmp', 'tcp'),
          scenario: 'pod-to-pod-tcp',
          protocol: 'tcp',
          outcome: { status: 'fail', error: 'timeout' },
        });
    assert.deepEqual(
      findings(overlayMtuMismatch, s).map((f) => f.summary),
      [],
    );
  });

  it('pods with a larger MTU than flannel.1 are a weaker mismatch', () => {
    const s = cluster((n) => {
      for (const l of n['worker-1']!.links!) if (l.master === 'cni0') l.mtu = 1500;
    });
    const [f] = findings(overlayMtuMismatch, s);
    assert.equal(f?.severity, 'warning');
    assert.equal(f?.cause?.confidence, 0.6);
  });

  it('cni-routes-missing expects only peers that flannel has annotated', () => {
    const s = cluster((n) => removePeerRoutes(n, 'worker-2'));
    for (const node of s.cluster.nodes) {
      if (node.metadata.name !== 'worker-1')
        delete node.metadata.annotations?.['flannel.alpha.coreos.com/backend-data'];
    }
    const [f] = findings(cniRoutesMissing, s);
    assert.match(f!.summary, /has no routes to 10\.244\.1\.0\/24$/);
  });

  it('cni-routes-missing accepts host-gw routes via the peer address', () => {
    const s = cluster((n) => {
      for (const d of Object.values(n)) {
        d.routes = d.routes!.map((r) =>
          r.dev === 'flannel.1'
            ? {
                dst: r.dst,
                gateway: `192.168.1.${10 + Number(r.dst.split('.')[2])}`,
                dev: 'eth0',
                table: 'main',
                flags: [],
              }
            : r,
        );
        d.links = d.links!.filter((l) => l.ifname !== 'flannel.1');
      }
    });
    for (const node of s.cluster.nodes)
      node.metadata.annotations!['flannel.alpha.coreos.com/backend-type'] = 'host-gw';
    assert.deepEqual(findings(cniRoutesMissing, s), []);
    s.nodes['worker-1']!.routes = s.nodes['worker-1']!.routes!.map((r) =>
      r.dst === '10.244.2.0/24' ? { ...r, gateway: '192.168.1.99' } : r,
    );
    const [f] = findings(cniRoutesMissing, s);
    assert.match(text(f!), /10\.244\.2\.0\/24 via 192\.168\.1\.12/);
  });

  it('cni-config-missing flags a leftover config that shadows flannel, not a multus one', () => {
    const s = cluster((n) => {
      n['worker-1']!.cniConfigs!.unshift({
        file: '05-calico.conflist',
        name: 'k8s-pod-network',
        plugins: ['calico', 'bandwidth'],
        raw: '{}',
      });
      n['worker-2']!.cniConfigs!.unshift({
        file: '00-multus.conf',
        name: 'multus-cni-network',
        plugins: ['multus'],
        raw: '{}',
      });
    });
    const fs = findings(cniConfigMissing, s);
    assert.deepEqual(
      fs.map((f) => f.subject.name),
      ['worker-1'],
    );
    assert.match(fs[0]!.summary, /05-calico\.conflist shadows 10-flannel\.conflist/);
  });

  it('cni-config-missing reads a not-found gap as a missing directory', () => {
    const s = cluster((n) => {
      delete n['worker-2']!.cniConfigs;
    });
    s.gaps.push({ collector: 'node/cni-config', reason: 'not-found', node: 'worker-2' });
    const [f] = findings(cniConfigMissing, s);
    assert.match(f!.summary, /does not exist/);
  });
});

describe('datapath rules skip with a reason', () => {
  function calico(s: Snapshot): Snapshot {
    s.cluster.daemonSets = s.cluster.daemonSets.filter((d) => !/flannel/.test(d.metadata.name));
    s.cluster.pods = s.cluster.pods.filter((p) => p.metadata.labels?.['app'] !== 'flannel');
    s.cluster.configMaps = s.cluster.configMaps.filter((c) => !/flannel/.test(c.metadata.name));
    for (const n of s.cluster.nodes) n.metadata.annotations = {};
    s.cluster.daemonSets.push({
      metadata: { name: 'calico-node', namespace: 'kube-system' },
      spec: { selector: { matchLabels: { 'k8s-app': 'calico-node' } }, template: {} },
    });
    return s;
  }

  it('flannel rules skip on calico, naming the CNI', () => {
    const s = calico(cluster());
    for (const rule of [
      cniRoutesMissing,
      overlayFdbMissing,
      overlayMtuMismatch,
      nodeMasqueradeMissing,
      cniBridgeAddressMismatch,
    ]) {
      const o = runRule(rule, s);
      assert.equal(o.status, 'skipped', rule.id);
      assert.match(o.status === 'skipped' ? o.reason : '', /calico/);
    }
  });

  it('every datapath rule skips when no node datapath was collected', () => {
    const s = cluster();
    s.nodes = {};
    for (const rule of DATAPATH_RULES) {
      const o = runRule(rule, s);
      assert.equal(o.status, 'skipped', rule.id);
      assert.ok(o.status === 'skipped' && o.reason.length > 0);
    }
  });

  it('bridge-nf and proxy rules skip when kube-proxy runs in ipvs mode', () => {
    const s = cluster((n) => bridgeNfOff(n, 'worker-1'));
    s.cluster.configMaps.push({
      metadata: { name: 'kube-proxy', namespace: 'kube-system' },
      data: {
        'config.conf':
          'apiVersion: kubeproxy.config.k8s.io/v1alpha1\nkind: KubeProxyConfiguration\nmode: "ipvs"\n',
      },
    });
    for (const rule of [nodeBridgeNfDisabled, proxyRulesMissing]) {
      const o = runRule(rule, s);
      assert.equal(o.status, 'skipped');
      assert.match(o.status === 'skipped' ? o.reason : '', /ipvs/);
    }
  });

  it('a node whose datapath part is absent is passed over, not flagged', () => {
    const s = cluster((n) => {
      delete n['worker-1']!.routes;
      delete n['worker-1']!.sysctls;
      delete n['worker-1']!.iptablesNft;
      delete n['worker-1']!.iptablesLegacy;
      delete n['worker-1']!.fdb;
      delete n['worker-1']!.links;
    });
    for (const rule of DATAPATH_RULES) {
      const o = runRule(rule, s);
      if (o.status === 'ran') assert.deepEqual(o.findings, [], rule.id);
    }
  });
});
