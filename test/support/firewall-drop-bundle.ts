/**
 * A fault outside the catalog, made from the recorded healthy lab bundle: a DROP hand-added at
 * the top of one node's filter FORWARD chain (`iptables -I FORWARD 1 -s 10.244.0.0/16 -j DROP`),
 * with every probe that crosses that node marked failed, as they failed in the lab. The probe
 * pods are not in the bundle's pods.json (it was listed before they started), as in the lab.
 */
import assert from 'node:assert/strict';
import { cp, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ProbeResults } from '../../src/core/probe-types.ts';
import { EXAMPLES_DIR } from '../../src/examples/catalog.ts';

export const DROP_NODE = 'ndlab-node3';
export const DROP_RULE = '-A FORWARD -s 10.244.0.0/16 -j DROP';

/** Writes the bundle to a new temporary directory and returns it. */
export async function firewallDropBundle(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'nd-fwdrop-'));
  await cp(join(EXAMPLES_DIR, 'healthy'), dir, { recursive: true });
  const rulesPath = join(dir, 'nodes', DROP_NODE, 'iptables-nft.txt');
  const lines = (await readFile(rulesPath, 'utf8')).split('\n');
  const filterAt = lines.indexOf('*filter');
  const firstForward = lines.findIndex((l, i) => i > filterAt && l.startsWith('-A FORWARD '));
  assert.ok(filterAt >= 0 && firstForward > filterAt, 'the healthy bundle has a filter FORWARD chain');
  lines.splice(firstForward, 0, DROP_RULE);
  await writeFile(rulesPath, lines.join('\n'));

  const probesPath = join(dir, 'probes', 'results.json');
  const probes = JSON.parse(await readFile(probesPath, 'utf8')) as ProbeResults;
  for (const r of probes.results) {
    const touches = r.from.node === DROP_NODE || r.to.node === DROP_NODE;
    if (touches && r.scenario !== 'external' && r.expect === 'pass')
      r.outcome = { status: 'fail', error: 'timeout', detail: 'no answer within 5s' };
  }
  await writeFile(probesPath, JSON.stringify(probes, null, 2));
  return dir;
}
