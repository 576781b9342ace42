import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { analyze } from '../../src/analyze/engine.ts';
import type { Snapshot } from '../../src/core/model.ts';
import { parseIpRule } from '../../src/datapath/parsers/ip-rule.ts';
import { formatIpRule, routeFor } from '../../src/datapath/policy-routing.ts';
import { traceFlow } from '../../src/datapath/trace.ts';
import { SnapshotBuilder } from '../support/snapshot-builder.ts';
import { FIXTURES } from './fixture-snapshot.ts';

const NOW = new Date('2025-10-13T22:06:00Z');
const fixture = (f: string) => readFileSync(join(FIXTURES, 'ip-rule', f), 'utf8');

describe('ip -j rule show', () => {
  it('reads the default rules', () => {
    assert.deepEqual(parseIpRule(fixture('default.json')).map(formatIpRule), [
      '0: from all lookup local',
      '32766: from all lookup main',
      '32767: from all lookup default',
    ]);
  });

  it('reads discards, marks, negation, interfaces and ports as ip rule show prints them', () => {
    assert.deepEqual(parseIpRule(fixture('policy.json')).map(formatIpRule), [
      '0: from all lookup local',
      '50: from all to 10.9.0.0/16 blackhole',
      '60: from all ipproto udp dport 53 unreachable',
      '100: from 10.244.1.0/24 to 10.244.2.0/24 prohibit',
      '200: from all fwmark 0x4000/0x4000 lookup 100',
      '300: not from 10.0.0.0/8 iif eth0 lookup 300',
      '32766: from all lookup main',
      '32767: from all lookup default',
    ]);
  });
});

describe('routing with policy rules', () => {
  const rules = parseIpRule(fixture('policy.json'));
  const routes = [
    { dst: '10.244.2.0/24', dev: 'flannel.1', gateway: '10.244.2.0', flags: ['onlink'] },
    { dst: '10.244.3.0/24', dev: 'flannel.1', gateway: '10.244.3.0', flags: ['onlink'] },
    { dst: 'default', dev: 'eth1', gateway: '172.16.0.1', table: '300', flags: [] },
  ];

  it('a prohibit rule discards before the main table is consulted', () => {
    const d = routeFor(routes, rules, { src: '10.244.1.5', dst: '10.244.2.7', iif: 'cni0' });
    assert.equal(d.kind, 'discard');
    assert.equal(d.kind === 'discard' ? d.rule.priority : 0, 100);
  });

  it('a negated rule on an interface sends outside traffic to its own table', () => {
    const d = routeFor(routes, rules, { src: '192.0.2.1', dst: '10.244.3.7', iif: 'eth0' });
    assert.equal(d.kind === 'route' ? `${d.table} ${d.route.dev}` : d.kind, '300 eth1');
  });

  it('other pod traffic takes the main table, and without rules the main table is all there is', () => {
    // `not` inverts the whole selector, interface included: from 10/8 in on eth0 is not taken.
    const d = routeFor(routes, rules, {
      src: '10.244.1.5',
      dst: '10.244.3.7',
      iif: 'eth0',
      proto: 'tcp',
      dport: 53,
    });
    assert.equal(d.kind === 'route' ? `${d.table} ${d.route.dev}` : d.kind, 'main flannel.1');
    assert.equal(routeFor(routes, undefined, { src: '10.244.1.5', dst: '10.244.2.7' }).kind, 'route');
  });
});

describe('traced faults in policy routing', () => {
  function failBetween(s: Snapshot, a: string, b: string): void {
    for (const r of s.probes?.results ?? []) {
      const ends = [r.from.node, r.to.node];
      if (r.scenario.startsWith('pod-to-pod') && ends.includes(a) && ends.includes(b))
        r.outcome = { status: 'fail', error: 'timeout' };
    }
  }

  it('an ip rule prohibiting pod traffic to one node: node.routing-policy-wrong with the rule', () => {
    const s = SnapshotBuilder.flannel()
      .edit((snap) => {
        for (const dp of Object.values(snap.nodes)) dp.ipRules = parseIpRule(fixture('default.json'));
        snap.nodes['worker-1']?.ipRules?.push({
          priority: 100,
          src: '10.244.1.0/24',
          dst: '10.244.2.0/24',
          action: 'prohibit',
        });
        failBetween(snap, 'worker-1', 'worker-2');
      })
      .build();
    const t = traceFlow(s, { from: '10.244.1.250', to: '10.244.2.250', protocol: 'icmp' });
    assert.equal(t.status, 'broken');
    assert.match(t.reason ?? '', /ip rule 100: from 10\.244\.1\.0\/24 to 10\.244\.2\.0\/24 prohibit/);
    const r = analyze(s, { now: NOW });
    assert.deepEqual(
      r.rootCauses.map((c) => `${c.category} ${c.subject.name}`),
      ['node.routing-policy-wrong worker-1'],
    );
  });

  it('strict reverse-path filtering with the route back on another interface drops the packet', () => {
    const s = SnapshotBuilder.flannel()
      .edit((snap) => {
        const dp = snap.nodes['worker-2'];
        assert.ok(dp?.routes && dp.sysctls);
        dp.sysctls['net.ipv4.conf.all.rp_filter'] = '1';
        // The route back to worker-1's pods leaves by the underlay, not flannel.1.
        dp.routes = dp.routes.filter((x) => x.dst !== '10.244.1.0/24');
        dp.routes.push({ dst: '10.244.1.0/24', dev: 'eth0', gateway: '192.168.1.11', flags: [] });
        failBetween(snap, 'worker-1', 'worker-2');
      })
      .build();
    const r = analyze(s, { now: NOW });
    const traced = r.findings.filter((f) => f.rule === 'trace-failed-probes');
    const rp = traced.find((f) => /rp_filter is strict/.test(f.summary));
    assert.ok(rp, traced.map((f) => f.summary).join('\n'));
    assert.equal(rp.cause?.category, 'node.routing-policy-wrong');
    assert.deepEqual(rp.subject, { kind: 'Node', name: 'worker-2' });
    assert.match(
      rp.summary,
      /the route back to 10\.244\.1\.250 is 10\.244\.1\.0\/24 via 192\.168\.1\.11 dev eth0/,
    );
    // Only the probes from worker-1 die there: worker-3's traffic comes back the way it went.
    for (const t of rp.traces ?? []) assert.match(t.probe, /worker-1/);
  });
});
