import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { analyzeBundle } from '../../src/analyze/analyze-bundle.ts';
import { analyze } from '../../src/analyze/engine.ts';
import { nodesToTrace } from '../../src/analyze/trace-causes.ts';
import { causeOfHop } from '../../src/analyze/trace-hop-causes.ts';
import { readBundle } from '../../src/collect/bundle/read.ts';
import type { Snapshot } from '../../src/core/model.ts';
import { traceFlow } from '../../src/datapath/trace.ts';
import { EXAMPLES_DIR } from '../../src/examples/catalog.ts';
import { validateReport } from '../../src/report/index.ts';
import { renderHtml } from '../../src/report/render-html.ts';
import { renderMarkdown } from '../../src/report/render-markdown.ts';
import { iptablesRule } from '../support/datapath-builder.ts';
import { DROP_NODE, DROP_RULE, firewallDropBundle } from '../support/firewall-drop-bundle.ts';
import { SnapshotBuilder } from '../support/snapshot-builder.ts';

const NOW = new Date('2026-11-22T15:00:00Z');
const NODE = DROP_NODE;
const DROP = DROP_RULE;

describe('trace-driven causes on a recorded bundle', () => {
  let dir = '';
  before(async () => {
    dir = await firewallDropBundle();
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('a hand-added FORWARD DROP: node.firewall-drops-traffic on that node, the rule as evidence', async () => {
    const report = await analyzeBundle(dir, { now: NOW });
    const named = report.rootCauses.map((c) => `${c.category} ${c.subject.name}`);
    const first = report.rootCauses[0];
    assert.equal(first?.category, 'node.firewall-drops-traffic', named.join('; '));
    assert.deepEqual(first.subject, { kind: 'Node', name: NODE });
    assert.ok(
      first.evidence.some((e) => e.source === `nodes/${NODE}/iptables-nft.txt` && e.observed.includes(DROP)),
      JSON.stringify(first.evidence),
    );
    assert.ok(first.summary.includes(DROP), first.summary);
    assert.deepEqual(first.remediation, ['delete-firewall-rule']);
    assert.ok(first.explains.length > 0, 'it explains the failed probes');
    // Every symptom it explains is a failed-probe symptom that touches the node.
    const byId = new Map(report.findings.map((f) => [f.id, f]));
    for (const id of first.explains) assert.ok(byId.get(id)?.symptom?.nodes.includes(NODE), id);
    const cause = byId.get(first.finding);
    assert.ok(cause?.traces && cause.traces.length > 0, 'the finding carries the traces');
    assert.ok(cause.traces[0]?.hops.at(-1)?.includes(DROP));
    assert.equal(report.rootCauses.filter((c) => c.category === 'dns.upstream-unreachable').length, 0);
    assert.deepEqual(validateReport(JSON.parse(JSON.stringify(report))), { valid: true });
    // The report a person reads shows the path, hop by hop, down to the rule.
    assert.match(
      renderHtml(report),
      /<h4>Trace of <code>[^<]+<\/code> \(request\)<\/h4>\n<pre><code>\[ok\] [\s\S]*-A FORWARD -s 10\.244\.0\.0\/16 -j DROP<\/code><\/pre>/,
    );
    const md = renderMarkdown(report);
    assert.match(md, /\*\*Trace\*\* of `[^`]+` \(request\):\n\n```text\n\[ok\] /);
    assert.match(
      md,
      /\[broken\] ndlab-node3: ndlab-node3 filter FORWARD drops .*-A FORWARD -s 10\.244\.0\.0\/16 -j DROP\n```/,
    );
  });

  it('the streaming and the in-memory analysis agree', async () => {
    const streamed = await analyzeBundle(dir, { now: NOW });
    const inMemory = analyze(await readBundle(dir), { now: NOW });
    assert.deepEqual(inMemory.rootCauses, streamed.rootCauses);
  });

  it('the unchanged healthy bundle: every probe passes, nothing traced, no root cause', async () => {
    const report = await analyzeBundle(join(EXAMPLES_DIR, 'healthy'), { now: NOW });
    assert.deepEqual(report.rootCauses, []);
    assert.equal(report.findings.filter((f) => f.rule === 'trace-failed-probes').length, 0);
  });
});

describe('trace-driven causes on built snapshots', () => {
  /** Inserts a rule at the top of a table of a node's iptables-nft dump. */
  function insert(s: Snapshot, node: string, table: string, line: string): void {
    const t = s.nodes[node]?.iptablesNft?.tables[table];
    assert.ok(t, `${node} has an nft ${table} table`);
    if (!(iptablesRule(line).chain in t.chains)) t.chains[iptablesRule(line).chain] = 'ACCEPT';
    t.rules.unshift(iptablesRule(line));
  }

  function failBetween(s: Snapshot, a: string, b: string): void {
    for (const r of s.probes?.results ?? []) {
      const ends = [r.from.node, r.to.node];
      if (r.scenario.startsWith('pod-to-pod') && ends.includes(a) && ends.includes(b))
        r.outcome = { status: 'fail', error: 'timeout' };
    }
  }

  it('a rule that lets requests out but drops the answers: the reply path names it', () => {
    const rule = '-A FORWARD -s 10.244.2.0/24 -d 10.244.1.0/24 -j DROP';
    const s = SnapshotBuilder.flannel()
      .edit((snap) => {
        insert(snap, 'worker-1', 'filter', rule);
        failBetween(snap, 'worker-1', 'worker-2');
      })
      .build();
    const r = analyze(s, { now: NOW });
    assert.deepEqual(
      r.rootCauses.map((c) => `${c.category} ${c.subject.name}`),
      ['node.firewall-drops-traffic worker-1'],
    );
    const traced = r.findings.find((f) => f.id === r.rootCauses[0]?.finding);
    const reply = traced?.traces?.find((t) => t.probe === 'pod-to-pod-icmp/worker-1/worker-2');
    assert.equal(reply?.direction, 'reply', JSON.stringify(traced?.traces));
    assert.match(reply.hops.at(-1) ?? '', /the reply 10\.244\.2\.250 -> 10\.244\.1\.250/);
  });

  it('a DROP in raw PREROUTING, before conntrack and filter, is found too', () => {
    const rule = '-A PREROUTING -s 10.244.1.0/24 -d 10.244.2.0/24 -j DROP';
    const s = SnapshotBuilder.flannel()
      .edit((snap) => {
        const dump = snap.nodes['worker-2']?.iptablesNft;
        assert.ok(dump);
        dump.tables['raw'] ??= { name: 'raw', chains: { PREROUTING: 'ACCEPT', OUTPUT: 'ACCEPT' }, rules: [] };
        insert(snap, 'worker-2', 'raw', rule);
        failBetween(snap, 'worker-1', 'worker-2');
      })
      .build();
    const r = analyze(s, { now: NOW });
    const rc = r.rootCauses[0];
    assert.equal(`${rc?.category} ${rc?.subject.name}`, 'node.firewall-drops-traffic worker-2');
    assert.ok(rc?.evidence.some((e) => e.observed === `rule: iptables-nft -t raw ${rule}`));
  });

  it('a failed probe the datapath model finds nothing wrong with names no cause', () => {
    const s = SnapshotBuilder.flannel()
      .edit((snap) => failBetween(snap, 'worker-1', 'worker-2'))
      .build();
    const r = analyze(s, { now: NOW });
    assert.equal(r.findings.filter((f) => f.rule === 'trace-failed-probes').length, 0);
    assert.equal(
      r.rules.find((o) => o.rule === 'trace-failed-probes')?.status,
      'pass',
      'the tracing ran and found every path whole',
    );
  });
});

describe('which node datapaths a streaming analysis keeps for tracing', () => {
  it('both ends of each failed probe, and for a Service the nodes of its endpoints, nothing else', () => {
    const s = SnapshotBuilder.flannel({ corednsNodes: ['control-plane', 'worker-1'] })
      .edit((snap) => {
        for (const r of snap.probes?.results ?? [])
          if (r.id === 'dns-udp/worker-3/kube-dns') r.outcome = { status: 'fail', error: 'timeout' };
      })
      .build();
    assert.deepEqual([...nodesToTrace(s)].sort(), ['control-plane', 'worker-1', 'worker-3']);
    assert.equal(nodesToTrace(SnapshotBuilder.flannel().build()).size, 0, 'nothing failed, nothing kept');
  });
});

describe('netdoctor trace --probe', () => {
  let dir = '';
  before(async () => {
    dir = await firewallDropBundle();
  });
  after(() => rm(dir, { recursive: true, force: true }));
  const MAIN = join(import.meta.dirname, '..', '..', 'src', 'cli', 'main.ts');
  const cli = (...args: string[]) =>
    spawnSync(process.execPath, [MAIN, 'trace', dir, ...args], {
      encoding: 'utf8',
      env: { ...process.env, NO_COLOR: '1' },
    });

  it('traces a recorded probe from its own record, though its pods are not in pods.json', () => {
    const r = cli('--probe', `pod-to-pod-tcp/ndlab-node1/${NODE}`);
    assert.equal(r.status, 1, r.stderr);
    assert.match(
      r.stdout,
      /broken at filter: ndlab-node3 filter FORWARD drops 10\.244\.0\.\d+ -> 10\.244\.2\.\d+:8080\/tcp: -A FORWARD -s 10\.244\.0\.0\/16 -j DROP/,
    );
  });

  it('a probe that arrives is followed back: request and reply', () => {
    const r = cli('--probe', 'pod-to-pod-tcp/ndlab-node1/ndlab-node2');
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /^trace 10\.244\.0\.\d+ -> 10\.244\.1\.\d+:8080\/tcp$/m);
    assert.match(r.stdout, /^trace the reply 10\.244\.1\.\d+:8080 -> 10\.244\.0\.\d+\/tcp$/m);
  });

  it('an egress probe is followed out of the cluster, masquerade included, and not back', () => {
    const r = cli('--probe', 'external/ndlab-node1/http');
    assert.equal(r.status, 0, r.stderr);
    assert.match(
      r.stdout,
      /ok +egress-nat +\[ndlab-node1\] 10\.244\.0\.\d+ is masqueraded leaving ndlab-node1 \(-A FLANNEL-POSTRTG /,
    );
    assert.doesNotMatch(r.stdout, /trace the reply/);
  });

  it('an unknown probe or a missing --to is a usage error', () => {
    assert.equal(cli('--probe', 'nope').status, 2);
    assert.equal(cli('--from', '10.244.0.1').status, 2);
  });
});

describe('the encapsulated packet crosses every hook too', () => {
  it('VXLAN dropped in raw PREROUTING on the receiving node: overlay.port-blocked, traced there', () => {
    const rule = '-A PREROUTING -p udp -m udp --dport 8472 -j DROP';
    const s = SnapshotBuilder.flannel()
      .edit((snap) => {
        const dump = snap.nodes['worker-2']?.iptablesNft;
        assert.ok(dump);
        dump.tables['raw'] ??= { name: 'raw', chains: { PREROUTING: 'ACCEPT', OUTPUT: 'ACCEPT' }, rules: [] };
        dump.tables['raw'].rules.unshift(iptablesRule(rule));
        for (const r of snap.probes?.results ?? []) {
          const ends = [r.from.node, r.to.node];
          if (ends.includes('worker-2') && ends.some((n) => n !== 'worker-2'))
            r.outcome = { status: 'fail', error: 'timeout' };
        }
      })
      .build();
    const r = analyze(s, { now: NOW });
    const traced = r.findings.filter((f) => f.rule === 'trace-failed-probes');
    const inRaw = traced.find((f) => f.summary.includes(`raw PREROUTING (iptables-nft) drops VXLAN`));
    assert.ok(inRaw, traced.map((f) => f.summary).join('\n'));
    assert.equal(inRaw.cause?.category, 'overlay.port-blocked');
    assert.deepEqual(inRaw.subject, { kind: 'Node', name: 'worker-2' });
    assert.ok(
      r.rootCauses.some((c) => c.category === 'overlay.port-blocked' && c.subject.name === 'worker-2'),
    );
  });
});

describe('a packet for the node itself crosses its INPUT hooks', () => {
  it('a pod reaching a peer node (kubelet port): delivered, until filter INPUT drops it', () => {
    const rule = '-A INPUT -s 10.244.0.0/16 -p tcp -m tcp --dport 10250 -j DROP';
    const query = { from: '10.244.0.2', to: '192.168.1.12', port: 10250, protocol: 'tcp' as const };
    const s = SnapshotBuilder.flannel().build();
    assert.equal(traceFlow(s, query).status, 'delivered');
    const blocked = SnapshotBuilder.flannel()
      .edit((snap) => {
        snap.nodes['worker-2']?.iptablesNft?.tables['filter']?.rules.unshift(iptablesRule(rule));
      })
      .build();
    const t = traceFlow(blocked, query);
    assert.equal(t.status, 'broken');
    assert.match(
      t.reason ?? '',
      /worker-2 filter INPUT \(iptables-nft\) drops 10\.244\.0\.2 -> 192\.168\.1\.12:10250\/tcp/,
    );
    const hop = t.hops[t.stoppedAt ?? -1];
    assert.equal(
      hop?.kind === 'filter' ? causeOfHop(hop)?.category : undefined,
      'node.firewall-drops-traffic',
    );
  });
});
