/**
 * The nft parser and the Service NAT view against real nft output: a kube-proxy-shaped ruleset
 * is loaded into a fresh network namespace and read back with `nft -j list ruleset`. Skips
 * without nft or the right to create namespaces.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import type { NftRuleset } from '../../src/core/datapath-types.ts';
import { nodeServiceNat } from '../../src/datapath/node-service-nat.ts';
import { parseNftRuleset } from '../../src/datapath/parsers/nft-ruleset.ts';
import type { ServiceSpec } from '../support/datapath-builder.ts';
import { kubeProxyNftJson } from '../support/kube-proxy-nft-builder.ts';
import { canUseNetns, createNetns, destroyNetns, nsExec, uniqueNetnsName } from '../support/netns.ts';
import { FIXTURES } from './fixture-snapshot.ts';

function hasNft(): boolean {
  try {
    execFileSync('nft', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}
const skip = !hasNft() || !canUseNetns() ? 'needs nft and root to create a network namespace' : false;

/** Loads `file` (nft syntax, or JSON with `json`) into a fresh namespace and returns the parsed listing. */
function roundTrip(file: string, json = false): NftRuleset {
  const ns = createNetns(uniqueNetnsName('kpnft'));
  try {
    nsExec(ns, ['nft', ...(json ? ['-j'] : []), '-f', file]);
    return parseNftRuleset(nsExec(ns, ['nft', '-j', 'list', 'ruleset']));
  } finally {
    destroyNetns(ns);
  }
}

/** Handles differ between loads; everything else must not. */
function withoutHandles(rs: NftRuleset): NftRuleset {
  return { ...rs, rules: rs.rules.map(({ handle: _h, ...r }) => r) };
}

const SERVICES: ServiceSpec[] = [
  {
    namespace: 'kube-system',
    name: 'kube-dns',
    clusterIP: '10.96.0.10',
    ports: [
      { name: 'dns', port: 53, protocol: 'UDP' },
      { name: 'dns-tcp', port: 53, protocol: 'TCP' },
    ],
    endpoints: ['10.244.0.2', '10.244.0.3'],
  },
  {
    namespace: 'default',
    name: 'web',
    clusterIP: '10.96.100.10',
    ports: [{ port: 80, protocol: 'TCP', targetPort: 8080 }],
    endpoints: ['10.244.1.5', '10.244.2.6', '10.244.3.7'],
  },
  {
    namespace: 'default',
    name: 'empty',
    clusterIP: '10.96.50.50',
    ports: [{ port: 80, protocol: 'TCP' }],
    endpoints: [],
  },
];

describe('kube-proxy nftables rules through real nft', { skip }, () => {
  it('the recorded fixture is what nft prints for its source today', () => {
    const live = roundTrip(join(FIXTURES, 'kube-proxy-nft', 'ruleset.nft'));
    const recorded = parseNftRuleset(
      readFileSync(join(FIXTURES, 'kube-proxy-nft', 'nft-ruleset.json'), 'utf8'),
    );
    assert.deepEqual(withoutHandles(live), withoutHandles(recorded));
  });

  it('the generated kube-proxy JSON loads into nft and reads back to the same Service NAT view', () => {
    const generated = kubeProxyNftJson(SERVICES, { nodePorts: { 'default/web': 30080 } });
    // nft lists maps before the chains their verdicts name; loading needs the chains first.
    const order = (x: Record<string, unknown>): number =>
      ({ metainfo: 0, table: 1, chain: 2, set: 3, map: 3, rule: 4 })[Object.keys(x)[0]!] ?? 5;
    const items = (generated['nftables'] as Record<string, unknown>[])
      .slice()
      .sort((a, b) => order(a) - order(b));
    const dir = mkdtempSync(join(tmpdir(), 'ndt-kpnft-'));
    try {
      const file = join(dir, 'ruleset.json');
      writeFileSync(file, JSON.stringify({ nftables: items }));
      const live = nodeServiceNat({ name: 'n', nftRuleset: roundTrip(file, true) }, 'nftables').view;
      const mine = nodeServiceNat(
        { name: 'n', nftRuleset: parseNftRuleset(JSON.stringify(generated)) },
        'nftables',
      ).view;
      assert.ok(live && mine);
      const entries = (v: typeof live) =>
        [...v.entries.values()]
          .map(
            (e) =>
              `${e.ip}:${e.port}/${e.protocol} ${e.chain} -> ${e.endpoints.map((x) => `${x.ip}:${x.port}`).join(',')}`,
          )
          .sort();
      assert.deepEqual(entries(live), entries(mine));
      assert.equal(live.entries.size, 3);
      assert.deepEqual(live.hooks, { prerouting: true, output: true });
      assert.deepEqual([...live.noEndpoints.keys()], ['10.96.50.50:80/tcp']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
