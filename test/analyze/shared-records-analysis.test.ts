/**
 * Rules that judge per-peer records (cni-routes-missing, overlay-fdb-missing, the route matrix)
 * judge a list read from shared records against its base, and on each node only what differs
 * (record-delta.ts). That must never merge two nodes whose records differ: on a 150-node
 * synthetic cluster, single records are dropped, replaced, added, reordered and duplicated on
 * single nodes, straight in the shared-records form, and the report must be the one the same
 * lists give when each is judged whole, with every planted difference found.
 */
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ensureSynthetic, QUICK } from '../../bench/synthetic.ts';
import { analyze, analyzeStream } from '../../src/analyze/engine.ts';
import { NODE_FILES, type NodeFileKey } from '../../src/collect/bundle/layout.ts';
import { readBundle, readBundleStream } from '../../src/collect/bundle/read.ts';
import type { NodeDatapath } from '../../src/core/datapath-types.ts';
import type { Report } from '../../src/core/model.ts';
import { recordLayers } from '../../src/datapath/record-layers.ts';

const NOW = new Date('2026-01-01T00:00:00Z');
const NODES = 150;
const node = (i: number) => `node-${String(i).padStart(5, '0')}`;

type Segment = { base: [number, number] } | { inline: Record<string, unknown>[] };
interface SharedForm {
  netdoctorSharedRecords: string;
  segments: Segment[];
}

/** Segments with base position `p` cut out of its run, and `insert` put where it stood. */
function cut(segments: Segment[], p: number, insert: Segment[] = []): Segment[] {
  const out: Segment[] = [];
  let done = false;
  for (const s of segments) {
    if (done || 'inline' in s || p < s.base[0] || p >= s.base[1]) {
      out.push(s);
      continue;
    }
    if (s.base[0] < p) out.push({ base: [s.base[0], p] });
    out.push(...insert);
    if (p + 1 < s.base[1]) out.push({ base: [p + 1, s.base[1]] });
    done = true;
  }
  assert.ok(done, `base position ${p} is in a run`);
  return out;
}

describe('per-peer rules over shared records', () => {
  let work: string;
  let dir: string;
  before(async () => {
    work = await mkdtemp(join(tmpdir(), 'ndt-shared-analysis-'));
    const saved = process.env['NETDOCTOR_BENCH_DIR'];
    process.env['NETDOCTOR_BENCH_DIR'] = work;
    try {
      dir = await ensureSynthetic({
        ...QUICK,
        nodes: NODES,
        pods: 600,
        services: 20,
        iptablesServices: 20,
        policies: 20,
        namespaces: 5,
      });
    } finally {
      if (saved === undefined) delete process.env['NETDOCTOR_BENCH_DIR'];
      else process.env['NETDOCTOR_BENCH_DIR'] = saved;
    }
    const path = (i: number, key: NodeFileKey) => join(dir, 'nodes', node(i), NODE_FILES[key]);
    const read = async (i: number, key: NodeFileKey) =>
      JSON.parse(await readFile(path(i, key), 'utf8')) as SharedForm;
    const edit = async (i: number, key: NodeFileKey, f: (segs: Segment[], base: unknown[]) => Segment[]) => {
      const o = await read(i, key);
      const base = JSON.parse(await readFile(join(dir, o.netdoctorSharedRecords), 'utf8')) as unknown[];
      o.segments = f(o.segments, base);
      await writeFile(path(i, key), JSON.stringify(o));
    };
    const rec = (base: unknown[], p: number) => ({ ...(base[p] as Record<string, unknown>) });
    // node-00010 lacks one peer route; node-00020 routes one peer through the wrong gateway.
    await edit(10, 'routes', (s) => cut(s, 40));
    await edit(20, 'routes', (s, b) => cut(s, 50, [{ inline: [{ ...rec(b, 50), gateway: '10.128.99.0' }] }]));
    // node-00030's FDB entry for one peer points at another node; node-00040 lacks a neighbour.
    await edit(30, 'fdb', (s, b) => cut(s, 60, [{ inline: [{ ...rec(b, 60), dst: '172.16.0.99' }] }]));
    await edit(40, 'neighbors', (s) => cut(s, 70));
    // node-00050 holds its routes in another order; node-00060 one route twice (judged whole).
    await edit(50, 'routes', (s) => {
      const cutAt = cut(s, 80, [{ base: [80, 81] }]);
      return [...cutAt.slice(-1), ...cutAt.slice(0, -1)];
    });
    await edit(60, 'routes', (s) => [...s, { base: [90, 91] }]);
    // node-00070 has a second, wrong neighbour for a peer besides the right one.
    await edit(70, 'neighbors', (s, b) => [
      ...s,
      { inline: [{ ...rec(b, 100), lladdr: '02:00:00:00:00:01' }] },
    ]);
    // node-00080 lost the route to its own pod subnet (one of its own records).
    await edit(80, 'routes', (s) =>
      s.map((g) =>
        'inline' in g
          ? { inline: g.inline.filter((r) => !(r['dev'] === 'cni0' && r['scope'] === 'link')) }
          : g,
      ),
    );
  });
  after(async () => {
    if (work) await rm(work, { recursive: true, force: true });
  });

  let layered: Report;
  let whole: Report;
  it('gives the report the same lists give when each is judged whole', async () => {
    const s = await readBundleStream(dir);
    const seen: NodeDatapath[] = [];
    async function* keep(): AsyncGenerator<NodeDatapath> {
      for await (const dp of s.nodes) {
        seen.push(dp);
        yield dp;
      }
    }
    layered = await analyzeStream(s.snapshot, keep(), s.nodeNames, { now: NOW });
    assert.ok(seen.length === NODES);
    assert.ok(
      seen.every((dp) => dp.routes && dp.fdb && dp.neighbors && recordLayers(dp.routes)),
      'every list was read from shared records',
    );

    const flat = await readBundle(dir);
    for (const dp of Object.values(flat.nodes)) {
      // A copy has no layers: it is judged record by record, as a list parsed from one text.
      for (const key of ['routes', 'neighbors', 'fdb'] as const) if (dp[key]) dp[key] = [...dp[key]] as never;
      assert.equal(recordLayers(dp.routes ?? []), undefined);
    }
    whole = analyze(flat, { now: NOW });
    assert.deepEqual(layered, whole);
  });

  it('finds every planted difference, and only those', () => {
    const by = (rule: string) =>
      layered.findings
        .filter((f) => f.rule === rule)
        .map((f) => `${f.subject.name}: ${f.summary}`)
        .sort();
    assert.deepEqual(by('cni-routes-missing'), [
      `${node(10)}: ${node(10)} has no routes to 10.128.35.0/24`,
      `${node(20)}: ${node(20)} routes 10.128.45.0/24 the wrong way`,
      `${node(80)}: ${node(80)} has no cni0 route to its own subnet 10.128.80.0/24`,
    ]);
    assert.deepEqual(by('overlay-fdb-missing'), [
      `${node(30)}: ${node(30)} has VXLAN entries pointing at the wrong node for ${node(61)}`,
      `${node(40)}: ${node(40)} lacks VXLAN entries for ${node(71)}`,
    ]);
    const cells = (layered.routeMatrix?.cells ?? []).map((c) => `${c.from}>${c.to} ${c.state}`);
    assert.deepEqual(cells, [`${node(10)}>${node(35)} missing`, `${node(20)}>${node(45)} wrong`]);
  });
});
