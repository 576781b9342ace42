/** The terminal summary: short, plain unless colour was asked for, and the colour decision. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { render, shouldUseColor } from '../../src/report/index.ts';
import { healthyFlannel } from '../fixtures/report/healthy-flannel.ts';
import { seed001Cascade } from '../fixtures/report/seed-001-cascade.ts';
import { seed004StalledFlannel } from '../fixtures/report/seed-004-stalled-flannel.ts';

const ESC = '\u001b[';

describe('text summary', () => {
  it('is plain text unless colour is asked for', () => {
    assert.ok(!render(seed004StalledFlannel, 'text').includes(ESC));
    assert.ok(!render(seed004StalledFlannel, 'text', { color: false }).includes(ESC));
    assert.ok(render(seed004StalledFlannel, 'text', { color: true }).includes(ESC));
  });

  it('colour changes nothing but escape codes', () => {
    const plain = render(seed001Cascade, 'text');
    const stripped = render(seed001Cascade, 'text', { color: true }).replace(/\u001b\[\d+m/g, '');
    assert.equal(stripped, plain);
  });

  it('leads with the verdict, one line per root cause with its top evidence, and the next command', () => {
    const lines = render(seed004StalledFlannel, 'text').split('\n');
    assert.equal(lines[0], 'netdoctor: BROKEN — 1 root cause, 6 findings, 3 gaps');
    assert.ok(lines.includes('  1. cni.agent-stalled  Node worker-2  95%'));
    assert.ok(
      lines.some((l) =>
        l.startsWith('     evidence: logs/kube-flannel/kube-flannel-ds-dswk4/kube-flannel.log: '),
      ),
    );
    assert.ok(lines.includes('Next: netdoctor fix --dry-run'));
    assert.ok(lines.length < 30, 'a summary, not the report');
  });

  it('says so plainly when the cluster is healthy', () => {
    const text = render(healthyFlannel, 'text');
    assert.match(text, /^netdoctor: HEALTHY — 0 root causes/);
    assert.match(text, /No root cause found\./);
    assert.match(text, /Next: nothing to repair/);
  });
});

describe('shouldUseColor', () => {
  it('colours a TTY only, and never with NO_COLOR or TERM=dumb', () => {
    assert.equal(shouldUseColor({ isTTY: true }, {}), true);
    assert.equal(shouldUseColor({ isTTY: false }, {}), false);
    assert.equal(shouldUseColor({}, {}), false);
    assert.equal(shouldUseColor({ isTTY: true }, { NO_COLOR: '1' }), false);
    assert.equal(shouldUseColor({ isTTY: true }, { NO_COLOR: '' }), true, 'no-color.org: empty means unset');
    assert.equal(shouldUseColor({ isTTY: true }, { TERM: 'dumb' }), false);
  });
});

describe('text summary evidence', () => {
  it('cuts a multi-line log excerpt to its last line', () => {
    const report = structuredClone(seed004StalledFlannel);
    report.rootCauses[0]!.evidence[0] = {
      source: 'logs/kube-flannel/kube-flannel-ds-dswk4/kube-flannel.log',
      observed:
        'I1013 21:58:50.343338 iptables.go:357] bootstrap done\nI1013 21:58:50.350416 main.go:488] Waiting for all goroutines to exit\n',
    };
    const line = render(report, 'text')
      .split('\n')
      .find((l) => l.includes('evidence:'));
    assert.equal(
      line,
      '     evidence: logs/kube-flannel/kube-flannel-ds-dswk4/kube-flannel.log: … I1013 21:58:50.350416 main.go:488] Waiting for all goroutines to exit',
    );
  });
});
