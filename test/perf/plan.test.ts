/**
 * Pure parts of `netdoctor perf`: which pairs (and which node names do not exist), which tests
 * in what order, the UDP rate, the overlay cost, the flag combinations the command refuses, and
 * the rendered tables.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { selectionFrom } from '../../src/cli/commands/perf.ts';
import { NetdoctorError } from '../../src/core/errors.ts';
import {
  allPairsInOrder,
  clientRunsFor,
  DEFAULT_PAIR_LIMIT,
  estimateSeconds,
  type PlanNode,
  planNodes,
  planPerf,
  stepsFor,
  UDP_FALLBACK_MBPS,
  UDP_MAX_MBPS,
  udpTargetMbps,
} from '../../src/perf/plan.ts';
import { renderPerf } from '../../src/perf/render.ts';
import { overlayCost, summarizePair } from '../../src/perf/summarize.ts';
import { type NodePair, nodeName, type PerfReport, type PerfTestResult } from '../../src/perf/types.ts';

const n = (name: string, ready = true, ip: string | undefined = `10.0.0.${name.slice(-1)}`): PlanNode => ({
  name: nodeName(name),
  ready,
  ...(ip ? { internalIp: ip } : {}),
});
const NODES = [n('n1'), n('n2'), n('n3'), n('n4')];
const pairText = (p: NodePair) => `${p.from}-${p.to}`;

describe('perf planning', () => {
  it('reads InternalIP and Ready from the node list, sorted by name', () => {
    const nodes = planNodes([
      {
        metadata: { name: 'b' },
        spec: {},
        status: {
          conditions: [{ type: 'Ready', status: 'False' }],
          addresses: [{ type: 'Hostname', address: 'b' }],
        },
      },
      {
        metadata: { name: 'a' },
        spec: {},
        status: {
          conditions: [{ type: 'Ready', status: 'True' }],
          addresses: [{ type: 'InternalIP', address: '192.168.1.10' }],
        },
      },
    ]);
    assert.deepEqual(nodes, [
      { name: 'a', ready: true, internalIp: '192.168.1.10' },
      { name: 'b', ready: false },
    ]);
  });

  it('--from/--to: one pair, four steps (pod TCP, pod UDP, host TCP, host UDP), forward then reverse', () => {
    const r = planPerf(NODES, { kind: 'pair', from: 'n2', to: 'n4' }, 5);
    assert.ok(r.ok);
    assert.deepEqual(r.plan.pairs, [{ from: 'n2', to: 'n4' }]);
    assert.deepEqual(r.plan.serverNodes, ['n4']);
    assert.deepEqual(
      r.plan.steps.map((s) => `${s.mode}-${s.protocol}:${s.tests.map((t) => t.id).join(',')}`),
      [
        'pod-tcp:pod-tcp-forward,pod-tcp-reverse',
        'pod-udp:pod-udp-forward,pod-udp-reverse',
        'host-tcp:host-tcp-forward,host-tcp-reverse',
        'host-udp:host-udp-forward,host-udp-reverse',
      ],
    );
    assert.ok(estimateSeconds(r.plan) > 4 * 2 * 5);
  });

  it('names the nodes that do not exist, and lists the ones that do', () => {
    const r = planPerf(NODES, { kind: 'pair', from: 'n1', to: 'nope' }, 5);
    assert.deepEqual(r, { ok: false, error: 'no node named nope in the cluster (nodes: n1, n2, n3, n4)' });
    const both = planPerf(NODES, { kind: 'pair', from: 'x', to: 'y' }, 5);
    assert.match(both.ok ? '' : both.error, /^no node named x or y /);
  });

  it('--all-pairs: neighbours first so a small limit touches every node, bounded by --limit', () => {
    assert.deepEqual(allPairsInOrder(NODES.map((x) => x.name)).map(pairText), [
      'n1-n2',
      'n2-n3',
      'n3-n4',
      'n1-n3',
      'n2-n4',
      'n1-n4',
    ]);
    const r = planPerf(NODES, { kind: 'all-pairs', limit: 3 }, 5);
    assert.ok(r.ok);
    assert.deepEqual(r.plan.pairs.map(pairText), ['n1-n2', 'n2-n3', 'n3-n4']);
    assert.deepEqual(r.plan.leftOut.map(pairText), ['n1-n3', 'n2-n4', 'n1-n4']);
    assert.equal(r.plan.steps.length, 12);
  });

  it('--all-pairs on a large cluster never plans n² tests: the default limit holds', () => {
    const many = Array.from({ length: 40 }, (_, i) => n(`node${String(i).padStart(2, '0')}`));
    const r = planPerf(many, { kind: 'all-pairs', limit: DEFAULT_PAIR_LIMIT }, 5);
    assert.ok(r.ok);
    assert.equal(r.plan.pairs.length, DEFAULT_PAIR_LIMIT);
    assert.equal(r.plan.leftOut.length, (40 * 39) / 2 - DEFAULT_PAIR_LIMIT);
  });

  it('--all-pairs skips nodes that are not Ready, naming them, and needs two that are', () => {
    const r = planPerf([n('n1'), n('n2', false), n('n3')], { kind: 'all-pairs', limit: 6 }, 5);
    assert.ok(r.ok);
    assert.deepEqual(r.plan.pairs.map(pairText), ['n1-n3']);
    assert.deepEqual(r.plan.skippedNodes, [{ node: 'n2', reason: 'not Ready' }]);
    const none = planPerf([n('n1'), n('n2', false)], { kind: 'all-pairs', limit: 6 }, 5);
    assert.deepEqual(none, { ok: false, error: '--all-pairs needs two Ready nodes; the cluster has 1' });
  });

  it('UDP rate: half the TCP rate of the same direction, capped, with a fallback', () => {
    assert.equal(udpTargetMbps(50), 25);
    assert.equal(udpTargetMbps(9400), UDP_MAX_MBPS);
    assert.equal(udpTargetMbps(0.4), 1);
    assert.equal(udpTargetMbps(undefined), UDP_FALLBACK_MBPS);
    const pair = { from: nodeName('a'), to: nodeName('b') };
    const [, podUdp] = stepsFor(pair);
    assert.ok(podUdp);
    const earlier: PerfTestResult[] = [
      tcpResult('pod', 'forward', 60),
      { ...tcpResult('pod', 'reverse', 0), outcome: { status: 'error', error: 'x' } },
      tcpResult('host', 'forward', 10),
    ];
    const runs = clientRunsFor(podUdp, { address: '10.244.1.5', port: 5201 }, 7, earlier);
    assert.deepEqual(runs, [
      { id: 'pod-udp-forward', server: '10.244.1.5', port: 5201, seconds: 7, reverse: false, udpMbps: 30 },
      {
        id: 'pod-udp-reverse',
        server: '10.244.1.5',
        port: 5201,
        seconds: 7,
        reverse: true,
        udpMbps: UDP_FALLBACK_MBPS,
      },
    ]);
  });
});

function tcpResult(mode: 'pod' | 'host', direction: 'forward' | 'reverse', mbps: number): PerfTestResult {
  const forward = direction === 'forward';
  return {
    id: `${mode}-tcp-${direction}`,
    mode,
    protocol: 'tcp',
    direction,
    sender: nodeName(forward ? 'a' : 'b'),
    receiver: nodeName(forward ? 'b' : 'a'),
    outcome: { status: 'ok', figures: { protocol: 'tcp', mbps, retransmits: 3, seconds: 5 } },
  };
}

describe('perf summary and rendering', () => {
  it('overlay cost is (host - pod) / host, unknown without both figures', () => {
    assert.deepEqual(overlayCost(800, 1000), { status: 'measured', percent: 20 });
    assert.deepEqual(overlayCost(1100, 1000), { status: 'measured', percent: -10 });
    assert.equal(overlayCost(undefined, 1000).status, 'unknown');
    assert.equal(overlayCost(800, 0).status, 'unknown');
  });

  it('renders a pair: figures per direction, failed tests named with their reason', () => {
    const pair = { from: nodeName('a'), to: nodeName('b') };
    const tests: PerfTestResult[] = [
      tcpResult('pod', 'forward', 900),
      tcpResult('host', 'forward', 1000),
      tcpResult('pod', 'reverse', 450),
      {
        ...tcpResult('host', 'reverse', 0),
        outcome: { status: 'error', error: 'client pod on b: cannot start: ErrImagePull' },
      },
    ];
    const summary = summarizePair(pair, tests);
    assert.deepEqual(summary[0]?.overlayCost, { status: 'measured', percent: 10 });
    assert.equal(summary[1]?.overlayCost.status, 'unknown');
    const report: PerfReport = {
      kind: 'netdoctor-perf',
      schemaVersion: 1,
      startedAt: '2026-01-01T00:00:00.000Z',
      durationMs: 61_000,
      testSeconds: 5,
      image: 'img',
      namespace: 'ns',
      pairs: [{ ...pair, summary, tests }],
      leftOut: [{ from: nodeName('a'), to: nodeName('c') }],
      skippedNodes: [],
      complete: false,
    };
    const text = renderPerf(report, 'text');
    assert.match(text, /^netdoctor perf: 1 pair, 5 s per test, 61 s in all/);
    assert.match(text, /a -> b\s+900\.0\s+1000\.0\s+10\.0 %\s+3 \/ 3/);
    assert.match(text, /b -> a\s+450\.0\s+-\s+-/);
    assert.match(text, /✗ host-tcp-reverse \(b -> a\): client pod on b: cannot start: ErrImagePull/);
    assert.match(text, /1 more pair\(s\) not measured \(--limit\): a<->c/);
    const md = renderPerf(report, 'md');
    assert.match(md, /^# netdoctor perf/);
    assert.match(md, /\| a -> b \| 900\.0 \| 1000\.0 \| 10\.0 % \|/);
    assert.deepEqual(JSON.parse(renderPerf(report, 'json')), JSON.parse(JSON.stringify(report)));
  });
});

describe('perf flag combinations', () => {
  const usage = (flags: Parameters<typeof selectionFrom>[0], message: RegExp) =>
    assert.throws(
      () => selectionFrom(flags),
      (e: unknown) => e instanceof NetdoctorError && e.exitCode === 2 && message.test(e.message),
    );
  it('accepts a pair or --all-pairs with its default limit', () => {
    assert.deepEqual(selectionFrom({ from: 'a', to: 'b' }), { kind: 'pair', from: 'a', to: 'b' });
    assert.deepEqual(selectionFrom({ allPairs: true }), { kind: 'all-pairs', limit: DEFAULT_PAIR_LIMIT });
    assert.deepEqual(selectionFrom({ allPairs: true, limit: 2 }), { kind: 'all-pairs', limit: 2 });
  });
  it('refuses what does not add up, with exit 2', () => {
    usage({}, /needs --from and --to/);
    usage({ from: 'a' }, /needs --to/);
    usage({ to: 'a' }, /needs --from/);
    usage({ from: 'a', to: 'a' }, /same node/);
    usage({ from: 'a', to: 'b', limit: 3 }, /--limit bounds --all-pairs/);
    usage({ allPairs: true, from: 'a' }, /without --from and --to/);
  });
});
