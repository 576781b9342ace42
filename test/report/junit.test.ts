/** `-o junit`: one suite per probe scenario, one case per probe, one failing case per root cause. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Report } from '../../src/core/model.ts';
import { render } from '../../src/report/index.ts';
import { healthyFlannel } from '../fixtures/report/healthy-flannel.ts';
import { seed001Cascade } from '../fixtures/report/seed-001-cascade.ts';
import { seed004StalledFlannel } from '../fixtures/report/seed-004-stalled-flannel.ts';
import { unbalancedTags } from './markup-check.ts';

function suites(xml: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const m of xml.matchAll(/<testsuite id="\d+" name="([^"]+)"([^>]*)>/g)) out.set(m[1]!, m[2]!);
  return out;
}

function attr(attrs: string, name: string): number {
  return Number(new RegExp(`${name}="([\\d.]+)"`).exec(attrs)?.[1]);
}

describe('junit renderer', () => {
  it('is well-formed XML with a declaration', () => {
    for (const report of [healthyFlannel, seed004StalledFlannel, seed001Cascade]) {
      const xml = render(report, 'junit');
      assert.ok(xml.startsWith('<?xml version="1.0" encoding="UTF-8"?>\n<testsuites '));
      assert.deepEqual(unbalancedTags(xml, new Set()), []);
    }
  });

  it('has one suite per probe scenario plus root-causes and coverage, with counts that add up', () => {
    const xml = render(seed004StalledFlannel, 'junit');
    const s = suites(xml);
    assert.deepEqual(
      [...s.keys()],
      [
        'probes.pod-to-pod-icmp',
        'probes.pod-to-pod-tcp',
        'probes.dns-udp',
        'probes.dns-tcp',
        'probes.external',
        'probes.mtu',
        'root-causes',
        'coverage',
      ],
    );
    assert.equal(attr(s.get('probes.pod-to-pod-icmp')!, 'tests'), 9);
    assert.equal(attr(s.get('probes.pod-to-pod-icmp')!, 'failures'), 4);
    assert.equal(attr(s.get('probes.mtu')!, 'skipped'), 4);
    assert.equal(attr(s.get('root-causes')!, 'failures'), 1);
    const top = /<testsuites [^>]*>/.exec(xml)![0];
    assert.equal(attr(top, 'tests'), 35);
    assert.equal(attr(s.get('coverage')!, 'errors'), 0);
    assert.equal(attr(top, 'failures'), 13);
  });

  it('reports error probes as <error> and the root causes as failures with their evidence', () => {
    const xml = render(seed001Cascade, 'junit');
    assert.match(
      xml,
      /<error message="probe pod netdoctor\/netdoctor-probe-worker-2 did not start: failed to create pod sandbox: plugin type=&quot;flannel&quot;/,
    );
    assert.match(
      xml,
      /<testcase classname="root-causes" name="cni\.daemonset-missing DaemonSet kube-flannel\/kube-flannel-ds" time="0.000">/,
    );
    assert.match(
      xml,
      /<failure message="kube-proxy crash-loops on worker-1 and worker-2[^"]*" type="proxy\.not-ready">/,
    );
    assert.match(xml, /next:\n {2}netdoctor fix --dry-run/);
  });

  it('passes a probe that was meant to be blocked and was', () => {
    const report: Report = structuredClone(healthyFlannel);
    if ('results' in report.probes) {
      report.probes.results = [
        {
          id: 'pod-to-pod-tcp/worker-1/worker-2',
          scenario: 'pod-to-pod-tcp',
          from: { node: 'worker-1' },
          to: { node: 'worker-2', port: 5432 },
          expect: 'fail',
          outcome: { status: 'fail', error: 'timeout' },
        },
      ];
    }
    const xml = render(report, 'junit');
    assert.match(
      xml,
      /<testcase classname="probes.pod-to-pod-tcp" name="pod-to-pod-tcp\/worker-1\/worker-2" time="0.000"\/>/,
    );
  });

  it('gives a healthy report a passing root-causes case', () => {
    const xml = render(healthyFlannel, 'junit');
    assert.match(xml, /<testcase classname="root-causes" name="no root cause found" time="0.000"\/>/);
    assert.match(xml, /<testsuites name="netdoctor" tests="\d+" failures="0" errors="0" skipped="0"/);
  });

  it('replaces characters XML forbids and keeps multi-line messages in attributes', () => {
    const report: Report = structuredClone(seed004StalledFlannel);
    report.rootCauses[0]!.summary = 'bell \u0007 and\nnewline';
    const xml = render(report, 'junit');
    assert.match(xml, /message="bell \uFFFD and&#10;newline"/);
  });
});
