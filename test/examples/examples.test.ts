/**
 * The recorded examples themselves (scripts/record-examples.sh records them from the lab): the
 * index lists a healthy cluster and every fault of the catalog; each bundle reads back whole;
 * the healthy one's probes all meet their expectations while each datapath fault's probes show
 * its symptom on the node it hit. Analysis over them is tested in analyze-examples.test.ts.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { readBundle } from '../../src/collect/bundle/read.ts';
import type { Snapshot } from '../../src/core/model.ts';
import type { ProbeResult } from '../../src/core/probe-types.ts';
import { EXAMPLES_DIR, loadExampleCatalog } from '../../src/examples/catalog.ts';
import { listFaults } from '../../src/lab/fault-runner.ts';

const catalog = await loadExampleCatalog();
const BROKEN = 'ndlab-node2';

function meetsExpectation(r: ProbeResult): boolean {
  if (r.outcome.status === 'skipped') return true;
  return r.expect === 'pass' ? r.outcome.status === 'pass' : r.outcome.status === 'fail';
}

const cache = new Map<string, Promise<Snapshot>>();
function load(id: string): Promise<Snapshot> {
  let p = cache.get(id);
  if (!p) {
    p = readBundle(join(EXAMPLES_DIR, id));
    cache.set(id, p);
  }
  return p;
}

describe('examples/index.json', () => {
  it('lists a healthy cluster and every fault of the catalog, each with its bundle', () => {
    assert.deepEqual(
      catalog.map((e) => e.id).sort(),
      ['healthy', ...listFaults('catalog').map((f) => f.id)].sort(),
    );
    for (const e of catalog) assert.ok(existsSync(join(EXAMPLES_DIR, e.id, 'manifest.json')), e.id);
  });
});

describe('every example bundle', () => {
  for (const { id } of catalog) {
    it(`${id}: reads back without parse errors, with three nodes' datapath and probes`, async () => {
      const s = await load(id);
      assert.deepEqual(
        s.gaps.filter((g) => g.reason === 'parse-error'),
        [],
      );
      assert.equal(Object.keys(s.nodes).length, 3);
      for (const dp of Object.values(s.nodes)) {
        assert.ok(
          dp.routes && dp.links && dp.fdb && dp.iptablesNft && dp.sysctls,
          `${dp.name}: datapath parts`,
        );
      }
      assert.ok((s.probes?.results.length ?? 0) > 0, 'probes were recorded');
      assert.equal(s.meta.source, 'live');
    });
  }
});

describe('probe outcomes show each fault', () => {
  it('healthy: every probe meets its expectation and VXLAN carried traffic to every peer', async () => {
    const s = await load('healthy');
    const off = (s.probes?.results ?? []).filter((r) => !meetsExpectation(r));
    assert.deepEqual(
      off.map((r) => r.id),
      [],
    );
    for (const dp of Object.values(s.nodes)) {
      const peers = Object.values(dp.vxlanCapture?.packetsByPeer ?? {}).filter((n) => n > 0);
      assert.equal(peers.length, 2, `${dp.name} saw VXLAN packets from both peers`);
    }
  });

  // Faults whose effect is on the broken node's traffic; ip-forward-disabled is left out because
  // diagnose places no probe pod on a node with forwarding off (a pod would switch it back on).
  for (const id of [
    'flannel-agent-stalled',
    'cni-bridge-wrong-address',
    'vxlan-port-blocked',
    'overlay-mtu-mismatch',
    'masquerade-removed',
    'iptables-backend-mixed',
  ]) {
    it(`${id}: probes to or from ${BROKEN} fail, and probes between the other nodes pass`, async () => {
      const s = await load(id);
      const results = s.probes?.results ?? [];
      const touches = (r: ProbeResult) => r.from.node === BROKEN || r.to.node === BROKEN;
      assert.ok(
        results.some((r) => touches(r) && !meetsExpectation(r)),
        'a failure on the broken node',
      );
      const elsewhere = results.filter(
        (r) => r.from.node && r.to.node && !touches(r) && r.scenario.startsWith('pod-to-pod'),
      );
      assert.ok(elsewhere.length > 0);
      assert.deepEqual(
        elsewhere.filter((r) => !meetsExpectation(r)).map((r) => r.id),
        [],
      );
    });
  }

  it(`ip-forward-disabled: no probe pod was placed on ${BROKEN}, and its sysctl says why`, async () => {
    const s = await load('ip-forward-disabled');
    assert.ok(!(s.probes?.results ?? []).some((r) => r.from.node === BROKEN));
    assert.equal(s.nodes[BROKEN]?.sysctls?.['net.ipv4.ip_forward'], '0');
  });
});
