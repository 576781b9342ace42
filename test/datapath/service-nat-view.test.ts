import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { NODE_FILES } from '../../src/collect/bundle/layout.ts';
import { nodeServiceNat } from '../../src/datapath/node-service-nat.ts';
import { parseIptablesSave } from '../../src/datapath/parsers/index.ts';
import { resolveServiceNat } from '../../src/datapath/service-nat.ts';
import { natKey } from '../../src/datapath/service-nat-view.ts';
import { iptablesServiceNatView } from '../../src/datapath/service-nat-view-iptables.ts';
import { FIXTURES } from './fixture-snapshot.ts';

/** worker-1's iptables-nft-save, recorded from the lab. */
const dump = () =>
  parseIptablesSave(
    readFileSync(join(FIXTURES, 'flannel-3node', 'worker-1', NODE_FILES.iptablesNft), 'utf8'),
  );

describe('Service NAT view of an iptables-mode node', () => {
  it('agrees with the tracer’s per-Service resolution for every KUBE-SERVICES entry', () => {
    const d = dump();
    const view = iptablesServiceNatView(d, 'iptablesNft');
    assert.ok(view.entries.size >= 3);
    assert.deepEqual(view.hooks, { prerouting: true, output: true });
    for (const e of view.entries.values()) {
      const r = resolveServiceNat(d, e.ip, e.port, e.protocol);
      assert.equal(r.status === 'ok' || r.status === 'no-endpoints', true, `${e.ip}:${e.port}`);
      const want = r.status === 'ok' ? r.endpoints.map((x) => `${x.ip}:${x.port}`) : [];
      assert.deepEqual(
        e.endpoints.map((x) => `${x.ip}:${x.port}`),
        want,
        natKey(e.ip, e.port, e.protocol),
      );
      if (r.status === 'ok') assert.equal(e.chain, r.svcChain);
    }
  });

  it('reads the dump that carries KUBE-SERVICES and names its file', () => {
    const { mode, view } = nodeServiceNat(
      { name: 'worker-1', iptablesNft: dump(), iptablesLegacy: { backend: 'unknown', tables: {} } },
      undefined,
    );
    assert.equal(mode.status === 'detected' && mode.mode, 'iptables');
    assert.equal(view?.source, 'iptablesNft');
    const dns = view?.entries.get(natKey('10.96.0.10', 53, 'udp'));
    assert.match(dns?.entry ?? '', /^-A KUBE-SERVICES -d 10\.96\.0\.10\/32 -p udp/);
    assert.equal(dns?.endpoints.length, 2);
  });

  it('a dump without KUBE-SERVICES has no dispatch, and says why', () => {
    const d = dump();
    const nat = d.tables['nat']!;
    nat.rules = nat.rules.filter((r) => r.chain !== 'KUBE-SERVICES');
    delete nat.chains['KUBE-SERVICES'];
    const view = iptablesServiceNatView(d, 'iptablesNft');
    assert.equal(view.dispatch, false);
    assert.equal(view.dispatchMissing, 'no KUBE-SERVICES chain in nat');
  });
});
