/**
 * Content-addressed records (shared-records.ts): on an overlay cluster every node lists one
 * route, neighbour and FDB entry per peer. The writer stores the first node's list once and the
 * others as runs of it plus their own records; reading rebuilds each node's list exactly, in its
 * own order, and a base that is missing, altered or overrun costs that node's file, to a gap.
 */
import assert from 'node:assert/strict';
import { cp, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { packBundle } from '../../src/collect/bundle/archive.ts';
import { NODE_FILES, type NodeFileKey } from '../../src/collect/bundle/layout.ts';
import { readBundle } from '../../src/collect/bundle/read.ts';
import { SHARED_RECORDS_KEY, sharedRecordsRef } from '../../src/collect/bundle/shared-records.ts';
import type { BundleInput } from '../../src/collect/bundle/types.ts';
import { writeBundle } from '../../src/collect/bundle/write.ts';
import { emptyClusterState } from '../../src/core/cluster-types.ts';
import { parseBridgeFdb } from '../../src/datapath/parsers/bridge-fdb.ts';
import { parseIpNeigh } from '../../src/datapath/parsers/ip-neigh.ts';
import { parseIpRoute } from '../../src/datapath/parsers/ip-route.ts';
import { listedFiles } from '../support/listed-files.ts';

const PEERS = 120;
const mac = (j: number) =>
  `aa:bb:cc:00:${(j >> 8).toString(16).padStart(2, '0')}:${(j & 255).toString(16).padStart(2, '0')}`;
const oct = (j: number) => `10.244.${j}`;

/** What `ip -j route`, `ip -j neigh` and `bridge -j fdb` print on node `i` of a flannel VXLAN cluster. */
function nodeLists(
  i: number,
  extra: { route?: string } = {},
): Record<'routes' | 'neighbors' | 'fdb', string> {
  const peers = Array.from({ length: PEERS }, (_, j) => j).filter((j) => j !== i);
  const routes = [
    `{"dst":"default","gateway":"172.16.0.1","dev":"eth0","flags":[]}`,
    `{"dst":"${oct(i)}.0/24","dev":"cni0","protocol":"kernel","scope":"link","prefsrc":"${oct(i)}.1","flags":[]}`,
    ...peers.map(
      (j) => `{"dst":"${oct(j)}.0/24","gateway":"${oct(j)}.0","dev":"flannel.1","flags":["onlink"]}`,
    ),
    ...(extra.route ? [extra.route] : []),
  ];
  const neigh = peers.map(
    (j) => `{"dst":"${oct(j)}.0","dev":"flannel.1","lladdr":"${mac(j)}","state":["PERMANENT"]}`,
  );
  const fdb = peers.map(
    (j) =>
      `{"mac":"${mac(j)}","ifname":"flannel.1","dst":"172.16.${j >> 8}.${j & 255}","flags":["self"],"state":"permanent"}`,
  );
  return {
    routes: `[${routes.join(',')}]\n`,
    neighbors: `[${neigh.join(',')}]\n`,
    fdb: `[${fdb.join(',')}]\n`,
  };
}

const PARSERS = { routes: parseIpRoute, neighbors: parseIpNeigh, fdb: parseBridgeFdb } as const;

describe('shared records', () => {
  let work: string;
  let dir: string;
  const lists: Record<string, ReturnType<typeof nodeLists>> = {};
  before(async () => {
    work = await mkdtemp(join(tmpdir(), 'ndt-shared-records-'));
    dir = join(work, 'bundle');
    // node-7 holds a route of its own at the end; node-9's routes come in another order.
    for (let i = 0; i < 10; i++)
      lists[`node-${i}`] = nodeLists(
        i,
        i === 7 ? { route: '{"dst":"192.0.2.0/24","dev":"eth0","flags":[]}' } : {},
      );
    const n9 = JSON.parse(lists['node-9']!.routes) as unknown[];
    lists['node-9']!.routes = `${JSON.stringify(n9.reverse())}\n`;
    // node-5 has too few neighbours to share: written whole.
    lists['node-5']!.neighbors =
      '[{"dst":"10.244.1.0","dev":"flannel.1","lladdr":"aa:bb:cc:00:00:01","state":["PERMANENT"]}]\n';
    const nodes: BundleInput['nodes'] = {};
    for (const [name, l] of Object.entries(lists)) nodes[name] = { files: { ...l }, cniFiles: [] };
    await writeBundle(dir, {
      meta: { createdAt: '2026-12-05T00:00:00Z', netdoctorVersion: 'test', source: 'synthetic' },
      cluster: emptyClusterState(),
      nodes,
      gaps: [],
    });
  });
  after(async () => {
    if (work) await rm(work, { recursive: true, force: true });
  });

  it('stores each kind once and every node as a few runs, and reads each list back exactly', async () => {
    assert.equal((await readdir(join(dir, 'shared', 'records'))).length, 3, 'one base per kind');
    const node3 = await readFile(join(dir, 'nodes', 'node-3', NODE_FILES.routes), 'utf8');
    const ref = sharedRecordsRef(node3);
    assert.equal(ref.kind, 'ref');
    assert.ok(ref.kind === 'ref' && ref.segments.length <= 6, JSON.stringify(ref));
    assert.ok(
      node3.length < lists['node-3']!.routes.length / 10,
      `${node3.length} bytes for ${PEERS} routes`,
    );
    const small = await readFile(join(dir, 'nodes', 'node-5', NODE_FILES.neighbors), 'utf8');
    assert.equal(small, lists['node-5']!.neighbors, 'a short list is written as it was');

    const s = await readBundle(dir);
    assert.deepEqual(s.gaps, []);
    for (const [name, l] of Object.entries(lists)) {
      for (const key of ['routes', 'neighbors', 'fdb'] as const) {
        assert.deepEqual(s.nodes[name]?.[key], PARSERS[key](l[key]), `${name} ${key}`);
      }
    }
    // The archive holds the shared files too, and reads to the same lists.
    const packed = await readBundle(await packBundle(dir, await listedFiles(dir)));
    assert.deepEqual(packed.gaps, []);
    for (const name of Object.keys(lists)) assert.deepEqual(packed.nodes[name], s.nodes[name], name);
    // Records common to nodes are one object, read once.
    const peer = (n: string) => s.nodes[n]?.routes?.find((r) => r.dst === '10.244.50.0/24');
    assert.ok(peer('node-1') && peer('node-1') === peer('node-2'));
    assert.ok(Object.isFrozen(peer('node-1')));
  });

  it('a missing, altered or overrun base, or a bad reference, costs that node file only', async () => {
    const nodeFile = (n: string, key: NodeFileKey) => join('nodes', n, NODE_FILES[key]);
    const variant = async (label: string, edit: (d: string) => Promise<void>) => {
      const d = join(work, label);
      await cp(dir, d, { recursive: true });
      await edit(d);
      return readBundle(d);
    };
    const gapFor = (s: Awaited<ReturnType<typeof readBundle>>, n: string, key: NodeFileKey) =>
      s.gaps.find((g) => g.collector === nodeFile(n, key));
    const ref = sharedRecordsRef(await readFile(join(dir, nodeFile('node-3', 'fdb')), 'utf8'));
    assert.ok(ref.kind === 'ref');

    const missing = await variant('missing', (d) => rm(join(d, ref.path)));
    assert.equal(missing.nodes['node-3']?.fdb, undefined);
    assert.equal(gapFor(missing, 'node-3', 'fdb')?.reason, 'not-found');
    assert.ok(missing.nodes['node-3']?.routes, 'the other lists still read');

    const altered = await variant('altered', async (d) => {
      const p = join(d, ref.path);
      await writeFile(p, (await readFile(p, 'utf8')).replace('permanent', 'stale'));
    });
    assert.match(gapFor(altered, 'node-3', 'fdb')?.detail ?? '', /SHA-256/);

    const edit =
      (n: string, key: NodeFileKey, f: (o: Record<string, unknown>) => void) => async (d: string) => {
        const p = join(d, nodeFile(n, key));
        const o = JSON.parse(await readFile(p, 'utf8')) as Record<string, unknown>;
        f(o);
        await writeFile(p, JSON.stringify(o));
      };
    const overrun = await variant(
      'overrun',
      edit('node-4', 'fdb', (o) => {
        o['segments'] = [{ base: [0, 100_000] }];
      }),
    );
    assert.equal(overrun.nodes['node-4']?.fdb, undefined);
    assert.match(gapFor(overrun, 'node-4', 'fdb')?.detail ?? '', /reaches past the 119 records/);

    const outside = await variant(
      'outside',
      edit('node-4', 'routes', (o) => {
        o[SHARED_RECORDS_KEY] = '../../../etc/passwd';
      }),
    );
    assert.equal(gapFor(outside, 'node-4', 'routes')?.reason, 'parse-error');
    assert.match(
      gapFor(outside, 'node-4', 'routes')?.detail ?? '',
      /expected shared\/records\/<sha256>\.json/,
    );

    const odd = await variant(
      'odd-segment',
      edit('node-4', 'neighbors', (o) => {
        o['segments'] = [{ base: [5, 2] }];
      }),
    );
    assert.match(gapFor(odd, 'node-4', 'neighbors')?.detail ?? '', /segment 0 is neither/);

    const badInline = await variant(
      'bad-inline',
      edit('node-7', 'routes', (o) => {
        o['segments'] = [...(o['segments'] as unknown[]), { inline: [{ dev: 'eth0' }] }];
      }),
    );
    assert.match(gapFor(badInline, 'node-7', 'routes')?.detail ?? '', /no string "dst"/);
    assert.ok(badInline.nodes['node-6']?.routes, 'other nodes keep theirs');
  });
});
