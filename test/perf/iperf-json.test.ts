/**
 * The iperf3 JSON parser on real output: recorded runs of iperf3 3.12 between two network
 * namespaces (test/fixtures/perf/), checked figure by figure against the document's own fields,
 * and what a failed, cut-off or missing run looks like. iperf-netns.test.ts runs iperf3 afresh.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { parseIperfJson, toMbps } from '../../src/perf/iperf-json.ts';

const fixture = (name: string): string =>
  readFileSync(new URL(`../fixtures/perf/iperf3-3.12-${name}.log`, import.meta.url), 'utf8');

interface RawEnd {
  sum?: Record<string, number>;
  sum_sent?: Record<string, number>;
  sum_received?: Record<string, number>;
}
const endOf = (text: string): RawEnd => (JSON.parse(text) as { end: RawEnd }).end;

describe('parseIperfJson on recorded iperf3 3.12 output', () => {
  it('TCP: received throughput in Mbit/s and the sender’s retransmits', () => {
    const text = fixture('tcp');
    const r = parseIperfJson(text);
    assert.equal(r.status, 'ok');
    assert.equal(r.reverse, false);
    assert.equal(r.figures.protocol, 'tcp');
    const end = endOf(text);
    assert.equal(r.figures.mbps, toMbps(end.sum_received?.['bits_per_second'] ?? Number.NaN));
    assert.equal(r.figures.mbps, 3647.2);
    assert.equal(r.figures.retransmits, 547);
  });

  it('TCP -R: marked reverse, retransmits still reported (the server sent them in the results exchange)', () => {
    const r = parseIperfJson(fixture('tcp-reverse'));
    assert.equal(r.status, 'ok');
    assert.equal(r.reverse, true);
    assert.deepEqual(r.figures, { protocol: 'tcp', mbps: 2555.4, retransmits: 980, seconds: 1 });
  });

  it('UDP: the receiver’s throughput, loss and jitter, and the rate asked for', () => {
    const text = fixture('udp');
    const r = parseIperfJson(text);
    assert.equal(r.status, 'ok');
    assert.equal(r.figures.protocol, 'udp');
    if (r.figures.protocol !== 'udp') return;
    const rx = endOf(text).sum_received ?? {};
    assert.equal(r.figures.targetMbps, 500);
    assert.equal(r.figures.mbps, toMbps(rx['bits_per_second'] ?? Number.NaN));
    assert.equal(r.figures.lostPackets, 5585);
    assert.equal(r.figures.packets, 27991);
    assert.equal(r.figures.lossPercent, 19.95);
    assert.equal(r.figures.jitterMs, 0.004);
  });

  it('UDP -R: reverse, the client’s own receiver figures', () => {
    const r = parseIperfJson(fixture('udp-reverse'));
    assert.equal(r.status, 'ok');
    assert.equal(r.reverse, true);
    assert.equal(r.figures.protocol, 'udp');
    if (r.figures.protocol !== 'udp') return;
    assert.equal(r.figures.lostPackets, 11859);
    assert.equal(r.figures.lossPercent, 39.03);
    assert.equal(r.figures.jitterMs, 0.084);
  });

  it('UDP from an older release without sum_received: end.sum is the receiver’s report', () => {
    // The recorded document with the newer keys taken out: the shape older releases print.
    const doc = JSON.parse(fixture('udp')) as { end: RawEnd };
    delete doc.end.sum_received;
    delete doc.end.sum_sent;
    const r = parseIperfJson(JSON.stringify(doc));
    assert.equal(r.status, 'ok');
    if (r.figures.protocol !== 'udp') assert.fail('udp');
    assert.equal(r.figures.lostPackets, 5585);
    assert.equal(r.figures.jitterMs, 0.004);
  });

  it('a failed run: iperf3’s own error', () => {
    assert.deepEqual(parseIperfJson(fixture('err')), {
      status: 'error',
      error: 'iperf3: unable to connect to server: Connection timed out',
    });
  });

  it('text around the document (a shell message, a warning) is ignored', () => {
    const r = parseIperfJson(`iperf3: warning: something\n${fixture('tcp')}\nTerminated\n`);
    assert.equal(r.status, 'ok');
  });

  it('no JSON, cut-off JSON, or a run that never reached its end are errors, not throws', () => {
    const none = parseIperfJson('sh: iperf3: not found\n');
    assert.deepEqual(none, { status: 'error', error: 'iperf3 printed no JSON (sh: iperf3: not found)' });
    const text = fixture('tcp');
    const cut = parseIperfJson(text.slice(0, Math.floor(text.length / 2)));
    assert.equal(cut.status, 'error');
    const doc = JSON.parse(text) as Record<string, unknown>;
    delete doc['end'];
    const noEnd = parseIperfJson(JSON.stringify(doc));
    assert.equal(noEnd.status, 'error');
    assert.match(noEnd.status === 'error' ? noEnd.error : '', /did not finish/);
  });
});
