/**
 * Records the example bundles that `netdoctor demo` and the tests use (examples/<id>/ and
 * examples/index.json). For each example it builds a three-node mini datapath in network
 * namespaces of its own (prefix `ndx-`), injects the fault with the real commands, runs the
 * probe matrix while capturing VXLAN traffic, captures every node's raw files with the
 * collectors' commands, assembles the matching Kubernetes objects, and writes the bundle.
 *
 * Usage (as root): node scripts/record-examples.ts [--out DIR] [--index-only] [example-id ...]
 * (`--index-only` rewrites examples/index.json from the definitions without recording.)
 */
import { rmSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { writeBundle } from '../src/collect/bundle/write.ts';
import type { Gap, SnapshotMeta } from '../src/core/model.ts';
import { NETDOCTOR_VERSION } from '../src/core/version.ts';
import { captureNode, subnetEnv } from './examples/capture.ts';
import { buildCluster, K8S_VERSION } from './examples/cluster.ts';
import { EXAMPLES, type ExampleDef } from './examples/definitions.ts';
import { runProbes } from './examples/probes.ts';
import { killDaemonsSync, sleep, stopDaemon, stopDaemons } from './examples/sh.ts';
import {
  buildTopology,
  OVERLAY_MTU,
  podDaemons,
  resolveEndpoints,
  teardown,
  WWW_DIR,
} from './examples/topology.ts';
import { corednsPods, NODES, nodeByName, services } from './examples/world.ts';

const root = resolve(import.meta.dirname, '..');

function parseArgs(argv: string[]): { out: string; only: string[]; indexOnly: boolean } {
  let out = join(root, 'examples');
  let indexOnly = false;
  const only: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--out') out = resolve(argv[++i] ?? out);
    else if (a === '--index-only') indexOnly = true;
    else only.push(a);
  }
  return { out, only, indexOnly };
}

async function record(def: ExampleDef, outDir: string): Promise<void> {
  teardown();
  podDaemons.clear();
  const svcs = services(def.storefrontSelector);
  const eps = resolveEndpoints(svcs, nodeByName('control-plane').ip);
  const macs = buildTopology({ endpoints: eps, policies: def.enforce ?? [] });
  await sleep(800);
  const commands = def.apply?.(macs) ?? [];
  if (def.corednsDown) {
    for (const p of corednsPods()) {
      const d = podDaemons.get(p.ns);
      if (d) await stopDaemon(d);
    }
  }
  await sleep(300);
  const { probes, captures } = await runProbes();
  const gaps: Gap[] = [];
  const nodes = Object.fromEntries(
    NODES.map((n) => [
      n.name,
      captureNode(
        n,
        {
          subnetEnv: def.noSubnetEnv?.includes(n.name)
            ? null
            : subnetEnv(n, def.mtu?.[n.name] ?? OVERLAY_MTU),
          cniConfig: true,
          capture: captures[n.name]!,
        },
        gaps,
      ),
    ]),
  );
  const cluster = buildCluster({
    macs,
    services: svcs,
    endpoints: Object.fromEntries(eps.map((e) => [`${e.svc.namespace}/${e.svc.name}`, e.ips])),
    policies: def.policies ?? [],
  });
  def.mutate?.(cluster, macs);
  const meta: SnapshotMeta = {
    createdAt: new Date().toISOString(),
    source: 'example',
    netdoctorVersion: NETDOCTOR_VERSION,
    cluster: { name: 'netdoctor-example', kubernetesVersion: K8S_VERSION },
    description: def.description,
  };
  const fault = [
    `example: ${def.id}`,
    `title: ${def.title}`,
    `seed: ${def.seed ?? '-'}`,
    `fault: ${def.fault}`,
    `expected: ${def.expected.map((e) => `${e.category} ${e.subject.kind}/${e.subject.namespace ? `${e.subject.namespace}/` : ''}${e.subject.name}`).join(', ') || 'no root cause'}`,
    '',
    'commands applied to the recorded datapath:',
    ...(commands.length > 0 ? commands.map((c) => `  ${c}`) : ['  (none)']),
    '',
  ].join('\n');
  const dir = join(outDir, def.id);
  rmSync(dir, { recursive: true, force: true });
  await writeBundle(dir, { meta, cluster, nodes, probes, gaps, reports: { 'FAULT.txt': fault } });
  const unexpected = probes.results.filter((r) => (r.outcome.status === 'pass') !== (r.expect === 'pass'));
  process.stdout.write(`${def.id}: ${probes.results.length} probes, ${unexpected.length} not as expected\n`);
  for (const r of unexpected) {
    const o = r.outcome;
    process.stdout.write(
      `  ${r.id}: ${o.status}${o.status === 'fail' ? ` (${o.error}: ${o.detail ?? ''})` : ''}\n`,
    );
  }
  await stopDaemons();
  teardown();
}

async function main(): Promise<void> {
  const { out, only, indexOnly } = parseArgs(process.argv.slice(2));
  const defs = only.length > 0 ? EXAMPLES.filter((d) => only.includes(d.id)) : EXAMPLES;
  const bail = (sig: string) => {
    killDaemonsSync();
    teardown();
    rmSync(WWW_DIR, { recursive: true, force: true });
    process.stderr.write(`record-examples: ${sig}, cleaned up\n`);
    process.exit(130);
  };
  process.once('SIGINT', () => bail('SIGINT'));
  process.once('SIGTERM', () => bail('SIGTERM'));
  try {
    await mkdir(out, { recursive: true });
    if (!indexOnly) for (const def of defs) await record(def, out);
    const index = EXAMPLES.map((d) => ({
      id: d.id,
      title: d.title,
      seed: d.seed,
      fault: d.fault,
      expected: d.expected,
      ...(d.alternatives ? { alternatives: d.alternatives } : {}),
    }));
    await writeFile(join(out, 'index.json'), `${JSON.stringify(index, null, 2)}\n`);
  } finally {
    await stopDaemons();
    teardown();
    rmSync(WWW_DIR, { recursive: true, force: true });
  }
}

await main();
