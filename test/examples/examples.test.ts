/**
 * The recorded examples themselves: each is a bundle that reads back without parse errors, and
 * its probe results and datapath show the fault it reproduces (and only where it should).
 * Analysis over them is tested elsewhere.
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { readBundle } from '../../src/collect/bundle/read.ts';
import type { Snapshot } from '../../src/core/model.ts';
import type { ProbeResult } from '../../src/core/probe-types.ts';

const EXAMPLES = join(import.meta.dirname, '..', '..', 'examples');

interface IndexEntry {
  id: string;
  title: string;
  seed: string | null;
  fault: string;
  expected: { category: string; subject: { kind: string; name: string } }[];
}

const index = JSON.parse(readFileSync(join(EXAMPLES, 'index.json'), 'utf8')) as IndexEntry[];
const cache = new Map<string, Promise<Snapshot>>();
function load(id: string): Promise<Snapshot> {
  let p = cache.get(id);
  if (!p) {
    p = readBundle(join(EXAMPLES, id));
    cache.set(id, p);
  }
  return p;
}

function probe(s: Snapshot, id: string): ProbeResult {
  const r = s.probes?.results.find((x) => x.id === id);
  assert.ok(r, `probe ${id} recorded`);
  return r;
}
const passed = (s: Snapshot, id: string): boolean => probe(s, id).outcome.status === 'pass';
/** Probes whose outcome differs from their expectation. */
function unexpected(s: Snapshot): string[] {
  return (s.probes?.results ?? [])
    .filter((r) => (r.outcome.status === 'pass') !== (r.expect === 'pass'))
    .map((r) => r.id);
}
const crossNode = (r: ProbeResult): boolean =>
  r.scenario === 'pod-to-pod-icmp' &&
  r.from.node !== undefined &&
  r.to.node !== undefined &&
  r.from.node !== r.to.node;
const sameNode = (r: ProbeResult): boolean =>
  r.scenario === 'pod-to-pod-icmp' && r.from.node !== undefined && r.from.node === r.to.node;

describe('examples/index.json', () => {
  it('lists the catalog faults the demo needs, each with a bundle', () => {
    const ids = index.map((e) => e.id);
    for (const id of [
      'healthy',
      'flannel-stalled',
      'cni0-wrong-address',
      'ip-forward-off',
      'masquerade-missing',
      'flannel-daemonset-deleted',
      'mtu-mismatch',
      'service-selector-typo',
      'dns-egress-blocked',
    ]) {
      assert.ok(ids.includes(id), `${id} listed`);
      assert.ok(existsSync(join(EXAMPLES, id, 'manifest.json')), `${id} recorded`);
    }
    assert.deepEqual(index.find((e) => e.id === 'healthy')?.expected, []);
    for (const e of index.filter((x) => x.id !== 'healthy'))
      assert.ok(e.expected.length > 0, `${e.id} names a root cause`);
  });
});

describe('every example bundle', () => {
  for (const { id } of index) {
    it(`${id} reads back without parse errors, with three nodes and probes`, async () => {
      const s = await load(id);
      assert.equal(s.meta.source, 'example');
      assert.match(s.meta.description ?? '', /\w/);
      const parseErrors = s.gaps.filter((g) => g.reason === 'parse-error');
      assert.deepEqual(parseErrors, []);
      assert.deepEqual(Object.keys(s.nodes).sort(), ['control-plane', 'worker-1', 'worker-2']);
      assert.ok((s.probes?.results.length ?? 0) > 40);
      for (const n of Object.values(s.nodes)) {
        assert.ok(n.routes && n.routes.length > 0, `${n.name} routes`);
        assert.ok(n.links && n.links.length > 0, `${n.name} links`);
        assert.ok(n.iptablesNft, `${n.name} iptables-nft`);
        assert.ok(n.vxlanCapture, `${n.name} vxlan capture`);
      }
      // Node objects and the captured datapath agree: the annotated VTEP MAC is flannel.1's.
      for (const node of s.cluster.nodes) {
        const data = node.metadata.annotations?.['flannel.alpha.coreos.com/backend-data'];
        const vtep = s.nodes[node.metadata.name]?.links?.find((l) => l.ifname === 'flannel.1');
        if (vtep && data) assert.equal((JSON.parse(data) as { VtepMAC: string }).VtepMAC, vtep.address);
      }
    });
  }
});

describe('probe outcomes show each fault', () => {
  it('healthy: every probe is as expected and VXLAN carried traffic to every peer', async () => {
    const s = await load('healthy');
    assert.deepEqual(unexpected(s), []);
    for (const n of Object.values(s.nodes)) {
      for (const [peer, count] of Object.entries(n.vxlanCapture?.packetsByPeer ?? {})) {
        assert.ok(count > 0, `${n.name} exchanged VXLAN packets with ${peer}`);
      }
    }
  });

  it('flannel-stalled: cross-node fails only to and from worker-2; same-node passes; routes and FDB gone', async () => {
    const s = await load('flannel-stalled');
    const results = s.probes!.results;
    for (const r of results.filter(crossNode)) {
      const touches = r.from.node === 'worker-2' || r.to.node === 'worker-2';
      assert.equal(r.outcome.status, touches ? 'fail' : 'pass', r.id);
    }
    for (const r of results.filter(sameNode)) assert.equal(r.outcome.status, 'pass', r.id);
    assert.equal(passed(s, 'dns-udp/control-plane/coredns-76f75df574-zl6mw'), false);
    assert.equal(passed(s, 'dns-udp/control-plane/coredns-76f75df574-8xk2p'), true);
    const w2 = s.nodes['worker-2']!;
    assert.equal(w2.routes!.filter((r) => r.dev === 'flannel.1' && r.dst.startsWith('10.244.')).length, 1); // only its own /32
    assert.equal(w2.fdb!.filter((f) => f.dev === 'flannel.1' && f.dst).length, 0);
    const w1 = s.nodes['worker-1']!;
    assert.ok(w1.routes!.some((r) => r.dst === '10.244.2.0/24' && r.dev === 'flannel.1'));
    const log = Object.entries(s.cluster.logs).find(
      ([k]) => k.startsWith('kube-flannel/') && /Waiting for all goroutines/.test(s.cluster.logs[k] ?? ''),
    );
    assert.ok(log, 'a flannel log ends its main loop');
    const flannelPod = s.cluster.pods.find((p) => p.metadata.name === log[0].split('/')[1]);
    assert.equal(flannelPod?.spec.nodeName, 'worker-2');
    assert.equal(flannelPod?.status.phase, 'Running');
  });

  it('cni0-wrong-address: worker-1 cni0 is outside 10.244.1.0/24; worker-1 pods reach only same-node pods', async () => {
    const s = await load('cni0-wrong-address');
    const cni0 = s.nodes['worker-1']!.links!.find((l) => l.ifname === 'cni0')!;
    assert.ok(cni0.addrs.some((a) => a.family === 'inet'));
    assert.ok(cni0.addrs.every((a) => a.family !== 'inet' || !a.local.startsWith('10.244.1.')));
    assert.equal(passed(s, 'pod-to-pod-icmp/worker-1/storefront-6d9f7c8b5d-q7wz4'), true);
    assert.equal(passed(s, 'pod-to-pod-icmp/worker-1/worker-2'), false);
    assert.equal(passed(s, 'external/worker-1/http'), false);
    assert.equal(passed(s, 'pod-to-pod-icmp/control-plane/worker-2'), true);
  });

  it('ip-forward-off: worker-1 has ip_forward 0; its pods reach only same-node pods', async () => {
    const s = await load('ip-forward-off');
    assert.equal(s.nodes['worker-1']!.sysctls!['net.ipv4.ip_forward'], '0');
    assert.equal(s.nodes['worker-2']!.sysctls!['net.ipv4.ip_forward'], '1');
    assert.equal(passed(s, 'pod-to-pod-icmp/worker-1/storefront-6d9f7c8b5d-q7wz4'), true);
    assert.equal(passed(s, 'pod-to-pod-icmp/worker-1/control-plane'), false);
    assert.equal(passed(s, 'nodeport/outside/worker-1'), false);
    assert.equal(passed(s, 'pod-to-pod-icmp/control-plane/worker-2'), true);
  });

  it('masquerade-missing: egress fails from worker-2 only; in-cluster traffic passes', async () => {
    const s = await load('masquerade-missing');
    assert.equal(passed(s, 'external/worker-2/http'), false);
    assert.equal(passed(s, 'external/worker-1/http'), true);
    assert.equal(passed(s, 'external/control-plane/http'), true);
    for (const r of s.probes!.results.filter(crossNode)) assert.equal(r.outcome.status, 'pass', r.id);
    const masq = (node: string) =>
      s.nodes[node]!.iptablesNft!.tables['nat']!.rules.some(
        (r) =>
          r.chain === 'FLANNEL-POSTRTG' &&
          r.target === 'MASQUERADE' &&
          r.source === '10.244.0.0/16' &&
          !r.negations.includes('-s'),
      );
    assert.equal(masq('worker-2'), false);
    assert.equal(masq('worker-1'), true);
  });

  it('flannel-daemonset-deleted: no flannel DaemonSet or VTEPs; all cross-node traffic fails; CoreDNS crash-loops', async () => {
    const s = await load('flannel-daemonset-deleted');
    assert.equal(
      s.cluster.daemonSets.some((d) => d.metadata.name === 'kube-flannel-ds'),
      false,
    );
    for (const n of Object.values(s.nodes))
      assert.equal(
        n.links!.some((l) => l.ifname === 'flannel.1'),
        false,
      );
    for (const r of s.probes!.results.filter(crossNode)) assert.equal(r.outcome.status, 'fail', r.id);
    const coredns = s.cluster.pods.filter((p) => p.metadata.labels?.['k8s-app'] === 'kube-dns');
    assert.equal(coredns.length, 2);
    for (const p of coredns)
      assert.equal(p.status.containerStatuses?.[0]?.state?.waiting?.reason, 'CrashLoopBackOff');
  });

  it('mtu-mismatch: small DF packets pass, full-size ones from worker-1 fail; flannel.1 is 1500 there', async () => {
    const s = await load('mtu-mismatch');
    assert.equal(s.nodes['worker-1']!.links!.find((l) => l.ifname === 'flannel.1')?.mtu, 1500);
    assert.equal(s.nodes['worker-2']!.links!.find((l) => l.ifname === 'flannel.1')?.mtu, 1450);
    const small = probe(s, 'mtu/worker-1/worker-2/1422');
    const large = probe(s, 'mtu/worker-1/worker-2/1472');
    assert.equal(small.outcome.status, 'pass');
    assert.equal(large.expect, 'pass');
    assert.equal(large.outcome.status, 'fail');
    assert.equal(passed(s, 'pod-to-pod-icmp/worker-1/worker-2'), true);
  });

  it('service-selector-typo: the storefront Service has no endpoints and is refused; the pod itself answers', async () => {
    const s = await load('service-selector-typo');
    const slice = s.cluster.endpointSlices.find(
      (e) => e.metadata.labels?.['kubernetes.io/service-name'] === 'storefront',
    );
    assert.equal(slice?.endpoints?.length ?? 0, 0);
    for (const node of ['control-plane', 'worker-1', 'worker-2']) {
      const r = probe(s, `service-clusterip/${node}/shop/storefront`);
      assert.equal(r.outcome.status === 'fail' && r.outcome.error, 'refused');
    }
    assert.equal(passed(s, 'pod-to-pod-tcp/control-plane/storefront-6d9f7c8b5d-q7wz4'), true);
  });

  it("dns-egress-blocked: DNS from the shop pod fails while its allowed HTTP and other pods' DNS pass", async () => {
    const s = await load('dns-egress-blocked');
    assert.equal(passed(s, 'dns-udp/worker-1/kube-dns/from-shop'), false);
    assert.equal(passed(s, 'dns-tcp/worker-1/kube-dns/from-shop'), false);
    assert.equal(passed(s, 'external/worker-1/http/from-shop'), true);
    assert.equal(passed(s, 'dns-udp/worker-1/kube-dns'), true);
    assert.ok(
      s.cluster.networkPolicies.some(
        (p) => p.metadata.name === 'default-deny-egress' && p.metadata.namespace === 'shop',
      ),
    );
  });
});
