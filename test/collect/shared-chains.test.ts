/**
 * Content-addressed iptables chains (shared-chains.ts): kube-proxy's Service chains are stored
 * once per distinct content and laid under each node's own chains when read. The recorded
 * example bundles are rewritten in that layout and must analyze exactly as before; a bundle
 * whose shared files are missing, altered or misnamed loses only that node's dump, to a gap;
 * and a one-rule difference on one node of 5,000 is never merged away.
 */
import assert from 'node:assert/strict';
import { cp, mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { analyze, analyzeStream } from '../../src/analyze/engine.ts';
import { NODE_FILES } from '../../src/collect/bundle/layout.ts';
import { readBundle, readBundleStream } from '../../src/collect/bundle/read.ts';
import {
  SHARED_CHAINS_MARKER,
  SHARED_ORDER_MARKER,
  type SharedChainsIndex,
  sharedChainsRef,
  splitIptablesSave,
} from '../../src/collect/bundle/shared-chains.ts';
import type { BundleInput } from '../../src/collect/bundle/types.ts';
import { writeBundle } from '../../src/collect/bundle/write.ts';
import type { IptablesDump } from '../../src/core/datapath-types.ts';
import { chainRules } from '../../src/datapath/iptables-chains.ts';
import { tableLayers } from '../../src/datapath/iptables-layers.ts';
import { EXAMPLES_DIR } from '../../src/examples/catalog.ts';

const IPTABLES_FILES = [NODE_FILES.iptablesNft, NODE_FILES.iptablesLegacy];

/** Every example bundle (a directory with a manifest). */
async function exampleNames(): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(EXAMPLES_DIR, { withFileTypes: true })) {
    if (e.isDirectory() && (await stat(join(EXAMPLES_DIR, e.name, 'manifest.json')).catch(() => undefined)))
      out.push(e.name);
  }
  return out.sort();
}

/**
 * Copies a bundle written before shared chains into `dest`, rewriting its node iptables files
 * the way the writer now stores them, and its manifest to list what is there.
 */
async function relayout(src: string, dest: string): Promise<number> {
  await cp(src, dest, { recursive: true });
  const manifestPath = join(dest, 'manifest.json');
  const manifest = JSON.parse(await readFile(manifestPath, 'utf8')) as {
    files: { path: string; bytes: number }[];
  };
  const shared = new Map<string, string>();
  for (const f of manifest.files) {
    if (!f.path.startsWith('nodes/') || !IPTABLES_FILES.some((n) => f.path.endsWith(`/${n}`))) continue;
    const split = splitIptablesSave(await readFile(join(dest, f.path), 'utf8'));
    if (!split) continue;
    await writeFile(join(dest, f.path), split.node);
    f.bytes = Buffer.byteLength(split.node);
    shared.set(split.shared.path, split.shared.text);
  }
  for (const [path, text] of shared) {
    await mkdir(dirname(join(dest, path)), { recursive: true });
    await writeFile(join(dest, path), text);
    manifest.files.push({ path, bytes: Buffer.byteLength(text) });
  }
  await writeFile(manifestPath, JSON.stringify(manifest, null, 2));
  return shared.size;
}

/** A dump as data: tables, chain policies, and each chain's rules in order. */
function dumpFacts(d: IptablesDump | undefined): unknown {
  if (!d) return undefined;
  const tables: Record<string, unknown> = {};
  for (const [name, t] of Object.entries(d.tables)) {
    const chains = Object.keys(t.chains).sort();
    tables[name] = {
      policies: Object.fromEntries(chains.map((c) => [c, t.chains[c]])),
      rules: Object.fromEntries(chains.map((c) => [c, (chainRules(t).get(c) ?? []).map((r) => ({ ...r }))])),
      all: t.rules.length,
    };
  }
  return { backend: d.backend, tables };
}

/** What an analysis concluded, without the parts that name when it ran. */
function conclusions(r: ReturnType<typeof analyze>): unknown {
  return {
    verdict: r.verdict,
    findings: r.findings.map((f) => [f.rule, f.subject, f.severity, f.summary, f.evidence]),
    rootCauses: r.rootCauses.map((c) => [c.category, c.subject, c.confidence, c.summary]),
  };
}

describe('shared iptables chains', () => {
  let work: string;
  before(async () => {
    work = await mkdtemp(join(tmpdir(), 'ndt-shared-chains-'));
  });
  after(async () => {
    if (work) await rm(work, { recursive: true, force: true });
  });

  it('splits only kube-proxy cluster-wide chains, and the layered dump equals the whole one', async () => {
    const text = await readFile(
      join(EXAMPLES_DIR, 'healthy', 'nodes', 'ndlab-node1', NODE_FILES.iptablesNft),
      'utf8',
    );
    const split = splitIptablesSave(text);
    assert.ok(split);
    assert.ok(split.node.startsWith(SHARED_CHAINS_MARKER));
    for (const line of split.shared.text.split('\n')) {
      const chain = /^(?::|-A )(\S+)/.exec(line)?.[1];
      if (chain) assert.match(chain, /^KUBE-(SERVICES|NODEPORTS|SVC-|SEP-|EXT-|FW-)/, line);
    }
    assert.ok(!/^-A KUBE-(SVC|SEP)-/m.test(split.node), 'the node part keeps no per-Service chain');
    assert.match(
      split.node,
      /^-A KUBE-MARK-MASQ /m,
      'the node part keeps the chains that are not per Service',
    );
    // The same text twice gives the same name; a dump with nothing to share, or cut short, stays whole.
    assert.equal(splitIptablesSave(text)?.shared.path, split.shared.path);
    assert.equal(splitIptablesSave('*filter\n:INPUT ACCEPT [0:0]\nCOMMIT\n'), undefined);
    assert.equal(splitIptablesSave('*nat\n:KUBE-SERVICES - [0:0]\n-A KUBE-SERVICES -j RETURN\n'), undefined);
    assert.equal(splitIptablesSave(split.node), undefined, 'a split file is never split again');

    // A writer that sees every node keeps the first node's order; later nodes name the same file,
    // with an order line only when their kube-proxy wrote the dispatch rules in another order.
    const known: SharedChainsIndex = new Map();
    const node2 = await readFile(
      join(EXAMPLES_DIR, 'healthy', 'nodes', 'ndlab-node2', NODE_FILES.iptablesNft),
      'utf8',
    );
    const first = splitIptablesSave(text, known);
    const again = splitIptablesSave(text, known);
    const other = splitIptablesSave(node2, known);
    assert.ok(first && again && other);
    assert.equal(known.size, 1);
    assert.ok(!first.node.includes(SHARED_ORDER_MARKER) && !again.node.includes(SHARED_ORDER_MARKER));
    assert.equal(other.shared.path, first.shared.path);
    assert.match(other.node, new RegExp(`${SHARED_ORDER_MARKER}nat KUBE-SERVICES b\\d+\\.\\d+:`));
  });

  it('every example bundle, rewritten with shared chains, reads to the same dumps and the same analysis', async () => {
    for (const name of await exampleNames()) {
      const dest = join(work, `relayout-${name}`);
      const sharedFiles = await relayout(join(EXAMPLES_DIR, name), dest);
      assert.ok(sharedFiles > 0, `${name}: nothing was shared`);
      const whole = await readBundle(join(EXAMPLES_DIR, name));
      const layered = await readBundle(dest);
      assert.deepEqual(layered.gaps, whole.gaps, name);
      for (const node of Object.keys(whole.nodes)) {
        for (const key of ['iptablesNft', 'iptablesLegacy'] as const) {
          assert.deepEqual(
            dumpFacts(layered.nodes[node]?.[key]),
            dumpFacts(whole.nodes[node]?.[key]),
            `${name} ${node} ${key}`,
          );
        }
        const nat = layered.nodes[node]?.iptablesNft?.tables['nat'];
        if (nat) assert.ok(tableLayers(nat), `${name} ${node}: nat is read as two layers`);
      }
      assert.deepEqual(conclusions(analyze(layered)), conclusions(analyze(whole)), name);
    }
  });

  it('a missing, altered or misnamed shared file, or a node file adding to a shared chain, costs that dump only', async () => {
    const dest = join(work, 'hostile-base');
    await relayout(join(EXAMPLES_DIR, 'healthy'), dest);
    const nodeFile = (n: string) => join('nodes', n, NODE_FILES.iptablesNft);
    const refOf = async (dir: string, n: string) => {
      const r = sharedChainsRef(await readFile(join(dir, nodeFile(n)), 'utf8'));
      assert.equal(r.kind, 'ref');
      return r as { path: string };
    };
    const variant = async (label: string, edit: (dir: string) => Promise<void>) => {
      const dir = join(work, `hostile-${label}`);
      await cp(dest, dir, { recursive: true });
      await edit(dir);
      return readBundle(dir);
    };
    const gapFor = (s: Awaited<ReturnType<typeof readBundle>>, n: string) =>
      s.gaps.find((g) => g.collector === nodeFile(n));

    // The three nodes hold the same Service chains (node2 in another order), so they share one file.
    const ref = await refOf(dest, 'ndlab-node2');
    assert.equal((await refOf(dest, 'ndlab-node1')).path, ref.path);
    const nodes = ['ndlab-node1', 'ndlab-node2', 'ndlab-node3'];
    const missing = await variant('missing', async (dir) => rm(join(dir, ref.path)));
    for (const n of nodes) {
      assert.equal(missing.nodes[n]?.iptablesNft, undefined, n);
      assert.equal(gapFor(missing, n)?.reason, 'not-found', n);
      assert.ok(missing.nodes[n]?.routes, `${n}: its other files still read`);
    }
    // The rules that read it say it was not collected, and why.
    const proxy = analyze(missing).rules.find((r) => r.rule === 'proxy-rules-missing');
    assert.match(
      JSON.stringify(proxy),
      /skipped on all 3 nodes: iptables-nft\.txt not collected .*shared file .* absent/,
    );

    const altered = await variant('altered', async (dir) => {
      const p = join(dir, ref.path);
      await writeFile(p, (await readFile(p, 'utf8')).replace('-j KUBE-SVC-', '-j KUBE-SVC-X'));
    });
    assert.equal(altered.nodes['ndlab-node2']?.iptablesNft, undefined);
    assert.match(gapFor(altered, 'ndlab-node2')?.detail ?? '', /SHA-256/);

    const orderLine = (text: string) => text.split('\n').find((l) => l.startsWith(SHARED_ORDER_MARKER)) ?? '';
    const reordered = async (label: string, line: (old: string) => string) =>
      variant(label, async (dir) => {
        const p = join(dir, nodeFile('ndlab-node2'));
        const text = await readFile(p, 'utf8');
        await writeFile(p, text.replace(orderLine(text), line(orderLine(text))));
      });
    // The order as decimal indices (the form the reader also takes), edited.
    const asList = (l: string, edit: (order: number[]) => number[]) => {
      const ref = sharedChainsRef(`${SHARED_CHAINS_MARKER}shared/iptables/${'0'.repeat(64)}.txt\n${l}\n`);
      assert.ok(ref.kind === 'ref' && ref.orders[0], l);
      return `${SHARED_ORDER_MARKER}nat KUBE-SERVICES ${edit(ref.orders[0].order).join(',')}`;
    };
    const same = await reordered('order-list', (l) => asList(l, (o) => o));
    const whole = await readBundle(join(EXAMPLES_DIR, 'healthy'));
    assert.deepEqual(
      dumpFacts(same.nodes['ndlab-node2']?.iptablesNft),
      dumpFacts(whole.nodes['ndlab-node2']?.iptablesNft),
    );
    const repeated = await reordered('order-repeat', (l) => asList(l, (o) => [o[0]!, o[0]!, ...o.slice(2)]));
    assert.equal(repeated.nodes['ndlab-node2']?.iptablesNft, undefined);
    assert.match(gapFor(repeated, 'ndlab-node2')?.detail ?? '', /not a permutation of its 7 shared rules/);
    assert.ok(repeated.nodes['ndlab-node1']?.iptablesNft, 'node1 names the same file with its own order');
    const short = await reordered('order-short', (l) => asList(l, (o) => o.slice(1)));
    assert.match(gapFor(short, 'ndlab-node2')?.detail ?? '', /not a permutation/);
    const foreign = await reordered('order-table', (l) => l.replace(' nat ', ' mangle '));
    assert.match(
      gapFor(foreign, 'ndlab-node2')?.detail ?? '',
      /table mangle, which the shared chains do not have/,
    );
    const garbled = await reordered('order-garbled', (l) => `${l} ; rm -rf /`);
    assert.match(gapFor(garbled, 'ndlab-node2')?.detail ?? '', /malformed chain order line/);
    // Bundles written before the packed form carry 16-bit words, and still read.
    const asWords = (l: string) => {
      const ref = sharedChainsRef(`${SHARED_CHAINS_MARKER}shared/iptables/${'0'.repeat(64)}.txt\n${l}\n`);
      assert.ok(ref.kind === 'ref' && ref.orders[0], l);
      const words = Buffer.from(new Uint16Array(ref.orders[0].order).buffer).toString('base64');
      return `${SHARED_ORDER_MARKER}nat KUBE-SERVICES u16:${words}`;
    };
    const old = await reordered('order-words', asWords);
    assert.deepEqual(
      dumpFacts(old.nodes['ndlab-node2']?.iptablesNft),
      dumpFacts(whole.nodes['ndlab-node2']?.iptablesNft),
    );
    const oddBytes = await reordered('order-odd', (l) => asWords(l).replace(/u16:\S+/, 'u16:AAEC'));
    assert.match(gapFor(oddBytes, 'ndlab-node2')?.detail ?? '', /malformed chain order line/);
    const packed = /b(\d+)\.(\d+):(\S+)/;
    // Decoding skips what is not base64: only the writer's own encoding of the bytes is read.
    for (const [label, edit] of [
      ['order-stray', (l: string) => l.replace(/(b\d+\.\d+:)(\S)/, '$1*$2')],
      ['order-unpadded', (l: string) => l.replace(/(b\d+\.\d+:)\S+/, '$1AAA')],
      ['words-stray', (l: string) => asWords(l).replace(/u16:(\S)/, 'u16:*$1')],
      // One index more than the bits hold, or one fewer: the byte count no longer matches.
      ['order-count-up', (l: string) => l.replace(packed, (_m, w, n, b) => `b${w}.${Number(n) + 8}:${b}`)],
      ['order-count-down', (l: string) => l.replace(packed, (_m, w, n, b) => `b${w}.${Number(n) - 8}:${b}`)],
      ['order-width', (l: string) => l.replace(packed, (_m, _w, n, b) => `b40.${n}:${b}`)],
      // The last byte's padding bits set: not what the writer wrote.
      [
        'order-padding',
        (l: string) =>
          l.replace(packed, (_m, w, n, b) => {
            const bytes = Buffer.from(b, 'base64');
            bytes[bytes.length - 1] = (bytes[bytes.length - 1] as number) | 0x80;
            return `b${w}.${n}:${bytes.toString('base64')}`;
          }),
      ],
    ] as const) {
      const odd = await reordered(label, edit);
      assert.match(gapFor(odd, 'ndlab-node2')?.detail ?? '', /malformed chain order line/, label);
    }

    const outside = await variant('escape', async (dir) => {
      const p = join(dir, nodeFile('ndlab-node3'));
      const text = await readFile(p, 'utf8');
      await writeFile(p, text.replace(/^[^\n]*/, `${SHARED_CHAINS_MARKER}../../../../etc/passwd`));
    });
    assert.equal(outside.nodes['ndlab-node3']?.iptablesNft, undefined);
    assert.equal(gapFor(outside, 'ndlab-node3')?.reason, 'parse-error');
    assert.match(gapFor(outside, 'ndlab-node3')?.detail ?? '', /expected shared\/iptables\/<sha256>\.txt/);

    const intrude = await variant('intrude', async (dir) => {
      const p = join(dir, nodeFile('ndlab-node1'));
      await writeFile(
        p,
        (await readFile(p, 'utf8')).replace(
          /(\*nat\n[\s\S]*?)\nCOMMIT/,
          '$1\n-A KUBE-SERVICES -j ACCEPT\nCOMMIT',
        ),
      );
    });
    assert.equal(intrude.nodes['ndlab-node1']?.iptablesNft, undefined);
    assert.match(gapFor(intrude, 'ndlab-node1')?.detail ?? '', /shared chain KUBE-SERVICES/);
    assert.ok(intrude.nodes['ndlab-node3']?.iptablesNft, 'node3 shares node1 chains and still reads');
  });

  it('one missing Service rule on one node of 5,000 gets a shared file of its own, and the analysis finds it on that node only', async () => {
    const base = await readBundle(join(EXAMPLES_DIR, 'healthy'));
    const template = await readFile(
      join(EXAMPLES_DIR, 'healthy', 'nodes', 'ndlab-node1', NODE_FILES.iptablesNft),
      'utf8',
    );
    const webRule = template
      .split('\n')
      .find((l) => l.startsWith('-A KUBE-SERVICES') && l.includes('"demo/web:http cluster IP"'));
    assert.ok(webRule, 'the example dispatches demo/web');
    const planted = 'ndlab-clone-4321';
    const cluster = structuredClone(base.cluster);
    const nodeTemplate = cluster.nodes.find((n) => n.metadata.name === 'ndlab-node1')!;
    const proxyTemplate = cluster.pods.find(
      (p) => p.metadata.labels?.['k8s-app'] === 'kube-proxy' && p.spec.nodeName === 'ndlab-node1',
    )!;
    const nodes: BundleInput['nodes'] = {};
    const total = 5000;
    for (let i = 0; i < total; i++) {
      const name = `ndlab-clone-${i}`;
      cluster.nodes.push({ ...structuredClone(nodeTemplate), metadata: { ...nodeTemplate.metadata, name } });
      cluster.pods.push({
        ...structuredClone(proxyTemplate),
        metadata: { ...proxyTemplate.metadata, name: `kube-proxy-clone-${i}` },
        spec: { ...proxyTemplate.spec, nodeName: name },
      });
      const text = name === planted ? template.replace(`${webRule}\n`, '') : template;
      nodes[name] = { files: { iptablesNft: text, iptablesLegacy: '' }, cniFiles: [] };
    }
    const dir = join(work, 'five-thousand');
    await writeBundle(dir, {
      meta: { ...base.meta, source: 'synthetic' },
      cluster,
      nodes,
      gaps: [],
    });
    const shared = await readdir(join(dir, 'shared', 'iptables'));
    assert.equal(shared.length, 2, 'one shared file for the 4,999 equal nodes, one for the planted node');
    const plantedRef = sharedChainsRef(
      await readFile(join(dir, 'nodes', planted, NODE_FILES.iptablesNft), 'utf8'),
    );
    const otherRef = sharedChainsRef(
      await readFile(join(dir, 'nodes', 'ndlab-clone-0', NODE_FILES.iptablesNft), 'utf8'),
    );
    assert.ok(plantedRef.kind === 'ref' && otherRef.kind === 'ref' && plantedRef.path !== otherRef.path);

    const s = await readBundleStream(dir);
    const report = await analyzeStream(s.snapshot, s.nodes, s.nodeNames);
    const missingRules = report.findings.filter((f) => f.rule === 'proxy-rules-missing');
    assert.deepEqual(
      missingRules.map((f) => f.subject),
      [{ kind: 'Node', name: planted }],
      JSON.stringify(missingRules.map((f) => f.summary)),
    );
    assert.match(JSON.stringify(missingRules[0]?.evidence), /demo\/web/);
  });
});
