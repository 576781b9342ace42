/**
 * The path tracer on snapshots parsed from the captured three-node flannel fixtures: a healthy
 * datapath, and the same nodes captured after a fault (routes flushed, an FDB entry deleted),
 * plus faults injected into the real dumps where a capture would add nothing.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { NODE_FILES, nodeFile } from '../../src/collect/bundle/layout.ts';
import type { IptablesDump } from '../../src/core/datapath-types.ts';
import { NetdoctorError } from '../../src/core/errors.ts';
import { parseIptablesSave } from '../../src/datapath/parsers/index.ts';
import { traceFlow } from '../../src/datapath/trace.ts';
import { parseTracePort } from '../../src/datapath/trace-args.ts';
import { renderTraceText } from '../../src/datapath/trace-text.ts';
import type { TraceHop, TraceResult } from '../../src/datapath/trace-types.ts';
import { FIXTURES, fixtureSnapshot } from './fixture-snapshot.ts';

const kinds = (r: TraceResult): string[] => r.hops.map((h) => h.kind);
const stopped = (r: TraceResult): TraceHop => r.hops[r.stoppedAt!]!;

/** worker-N's real iptables-nft dump with `edit` applied to the text before parsing. */
function editedIptables(node: string, edit: (text: string) => string): IptablesDump {
  return parseIptablesSave(
    edit(readFileSync(join(FIXTURES, 'flannel-3node', node, NODE_FILES.iptablesNft), 'utf8')),
  );
}

describe('traceFlow: healthy cluster', () => {
  const snap = fixtureSnapshot();

  it('delivers pod to pod across nodes through every overlay hop', () => {
    const r = traceFlow(snap, {
      from: 'default/client-a',
      to: 'kube-system/coredns-b',
      port: 53,
      protocol: 'udp',
    });
    assert.equal(r.status, 'delivered');
    assert.deepEqual(kinds(r), [
      'source-pod',
      'veth-bridge',
      'node-route',
      'filter',
      'vxlan-neighbour',
      'vxlan-fdb',
      'underlay',
      'peer-node',
      'node-route',
      'filter',
      'delivered',
    ]);
    assert.ok(r.hops.every((h) => h.status === 'ok'));
    const fdb = r.hops.find((h) => h.kind === 'vxlan-fdb');
    assert.equal(fdb?.kind === 'vxlan-fdb' && fdb.remote, '192.168.77.13');
    assert.deepEqual(fdb?.evidence, [
      {
        source: nodeFile('worker-1', 'fdb'),
        observed: 'a6:4e:77:00:00:03 dev flannel.1 dst 192.168.77.13 self permanent',
      },
    ]);
    assert.equal(r.hops.at(-1)?.node, 'worker-3');
    assert.equal(r.stoppedAt, undefined);
  });

  it('follows a Service through KUBE-SVC and KUBE-SEP to its DNAT endpoint', () => {
    const r = traceFlow(snap, {
      from: 'default/client-a',
      to: 'svc/kube-system/kube-dns',
      port: 53,
      protocol: 'udp',
    });
    assert.equal(r.status, 'delivered');
    const dnat = r.hops[2];
    assert.equal(dnat?.kind, 'service-dnat');
    if (dnat?.kind !== 'service-dnat') return;
    assert.equal(dnat.chain, 'KUBE-SVC-TCOU7JCQXEZGVUNU');
    assert.deepEqual(dnat.endpoints, ['10.244.2.2:53', '10.244.3.2:53']);
    assert.equal(dnat.endpoint, '10.244.2.2:53');
    assert.deepEqual(
      r.endpoints?.map((e) => e.status),
      ['delivered', 'delivered'],
    );
    assert.equal(dnat.evidence[0]?.source, nodeFile('worker-1', 'iptablesNft'));
    assert.equal(r.to.pod, 'kube-system/coredns-a');
    assert.equal(r.hops.at(-1)?.node, 'worker-2');
  });

  it('picks the TCP port of a Service when asked for tcp', () => {
    const r = traceFlow(snap, { from: 'default/client-b', to: '10.96.0.10', port: 53, protocol: 'tcp' });
    const dnat = r.hops.find((h) => h.kind === 'service-dnat');
    assert.equal(dnat?.kind === 'service-dnat' && dnat.chain, 'KUBE-SVC-ERIFXISQEP7F7OF4');
    assert.equal(r.status, 'delivered');
  });

  it('switches same-node traffic on cni0 without routing it', () => {
    const r = traceFlow(snap, { from: 'default/client-a', to: 'default/client-b', port: 80 });
    assert.equal(r.status, 'delivered');
    assert.deepEqual(kinds(r), ['source-pod', 'veth-bridge', 'filter', 'delivered']);
    const bridge = r.hops[1];
    assert.equal(bridge?.kind === 'veth-bridge' && bridge.bridge, 'cni0');
  });

  it('says where an address outside the cluster leaves', () => {
    const r = traceFlow(snap, { from: 'default/client-a', to: '192.0.2.10', port: 443 });
    assert.equal(r.status, 'delivered');
    assert.match(r.hops.at(-1)?.summary ?? '', /leaves worker-1 via eth0/);
  });

  it('refuses names the snapshot does not hold', () => {
    assert.throws(
      () => traceFlow(snap, { from: 'default/nope', to: '10.244.2.2' }),
      (e: unknown) => e instanceof NetdoctorError && e.code === 'usage',
    );
    assert.throws(
      () => traceFlow(snap, { from: 'default/client-a', to: 'svc/default/nope' }),
      /no Service default\/nope/,
    );
    assert.throws(
      () => traceFlow(snap, { from: 'svc/default/web', to: '10.244.2.2' }),
      /cannot be a Service/,
    );
  });
});

describe('traceFlow: faults', () => {
  it('seed 004: worker-2 without peer routes breaks at node-route, naming where the packet would go', () => {
    const snap = fixtureSnapshot({ 'worker-2': 'flannel-3node-routes-flushed' });
    const r = traceFlow(snap, {
      from: 'kube-system/coredns-a',
      to: 'kube-system/coredns-b',
      port: 53,
      protocol: 'udp',
    });
    assert.equal(r.status, 'broken');
    const hop = stopped(r);
    assert.equal(hop.kind, 'node-route');
    assert.equal(hop.node, 'worker-2');
    assert.equal(
      r.reason,
      'worker-2 has no route to 10.244.3.0/24: it would leave via default dev eth0 (gateway 192.168.77.1)',
    );
    assert.equal(hop.evidence[0]?.source, 'nodes/worker-2/ip-route.json');
    assert.equal(hop.evidence[0]?.observed, 'default via 192.168.77.1 dev eth0');
    assert.equal(r.hops.length, r.stoppedAt! + 1, 'the walk stops at the broken hop');
    // The other nodes still reach worker-2.
    assert.equal(traceFlow(snap, { from: 'default/client-a', to: 'default/web-1' }).status, 'delivered');
  });

  it('seed 004: a Service whose other endpoint sits behind the missing route is broken for that endpoint', () => {
    const snap = fixtureSnapshot({ 'worker-2': 'flannel-3node-routes-flushed' });
    const r = traceFlow(snap, {
      from: 'default/web-1',
      to: 'svc/kube-system/kube-dns',
      port: 53,
      protocol: 'udp',
    });
    assert.equal(r.status, 'broken');
    assert.equal(stopped(r).kind, 'node-route');
    assert.deepEqual(r.endpoints, [
      { endpoint: '10.244.2.2:53', status: 'delivered' },
      { endpoint: '10.244.3.2:53', status: 'broken', reason: r.reason },
    ]);
    const dnat = r.hops.find((h) => h.kind === 'service-dnat');
    assert.equal(dnat?.kind === 'service-dnat' && dnat.endpoint, '10.244.3.2:53');
    assert.match(
      renderTraceText(r),
      /Service endpoints \(2\):\n {2}delivered +10\.244\.2\.2:53\n {2}broken +10\.244\.3\.2:53: worker-2 has no route/,
    );
  });

  it('an FDB entry removed on worker-1 breaks at vxlan-fdb for worker-3 only', () => {
    const snap = fixtureSnapshot({ 'worker-1': 'flannel-3node-fdb-missing' });
    const r = traceFlow(snap, { from: 'default/client-a', to: '10.244.3.3', port: 8080 });
    assert.equal(r.status, 'broken');
    assert.equal(stopped(r).kind, 'vxlan-fdb');
    assert.match(
      r.reason ?? '',
      /^flannel\.1 on worker-1 has no FDB entry for a6:4e:77:00:00:03 \(worker-3's VTEP\)/,
    );
    assert.equal(traceFlow(snap, { from: 'default/client-a', to: 'default/web-1' }).status, 'delivered');
  });

  it('a Service whose selector matches nothing breaks at service-dnat (kube-proxy REJECT)', () => {
    const r = traceFlow(fixtureSnapshot(), { from: 'default/client-a', to: 'svc/default/web-typo' });
    assert.equal(r.status, 'broken');
    const hop = stopped(r);
    assert.equal(hop.kind, 'service-dnat');
    assert.equal(r.reason, 'default/web-typo:http has no endpoints: kube-proxy rejects 10.96.120.16:80/tcp');
    assert.match(hop.evidence[0]?.observed ?? '', /-j REJECT --reject-with icmp-port-unreachable$/);
    assert.equal(hop.evidence[1]?.observed, '1 EndpointSlice(s), 0 ready endpoint(s)');
  });

  it('a KUBE-SVC chain without KUBE-SEP jumps breaks at service-dnat', () => {
    const snap = fixtureSnapshot();
    snap.nodes['worker-1']!.iptablesNft = editedIptables('worker-1', (t) =>
      t
        .split('\n')
        .filter((l) => !(l.startsWith('-A KUBE-SVC-TCOU7JCQXEZGVUNU') && l.includes('KUBE-SEP-')))
        .join('\n'),
    );
    const r = traceFlow(snap, {
      from: 'default/client-a',
      to: 'svc/kube-system/kube-dns',
      port: 53,
      protocol: 'udp',
    });
    assert.equal(stopped(r).kind, 'service-dnat');
    assert.equal(
      r.reason,
      'KUBE-SVC-TCOU7JCQXEZGVUNU (kube-system/kube-dns:dns) has no endpoints: nothing to DNAT 10.96.0.10:53/udp to',
    );
  });

  it('missing kube-proxy rules break at service-dnat', () => {
    const snap = fixtureSnapshot();
    snap.nodes['worker-1']!.iptablesNft = editedIptables('worker-1', (t) =>
      t
        .split('\n')
        .filter((l) => !l.startsWith('-A KUBE-SERVICES -d 10.96.0.10/32'))
        .join('\n'),
    );
    const r = traceFlow(snap, {
      from: 'default/client-a',
      to: 'svc/kube-system/kube-dns',
      port: 53,
      protocol: 'udp',
    });
    assert.equal(stopped(r).kind, 'service-dnat');
    assert.match(
      r.reason ?? '',
      /^worker-1 has no KUBE-SERVICES rule for kube-system\/kube-dns \(10\.96\.0\.10:53\/udp\)/,
    );
  });

  it("FORWARD policy DROP without flannel's accept breaks at filter, naming the policy", () => {
    const snap = fixtureSnapshot();
    snap.nodes['worker-3']!.iptablesNft = editedIptables('worker-3', (t) =>
      t
        .replace(':FORWARD ACCEPT', ':FORWARD DROP')
        .split('\n')
        .filter((l) => !l.startsWith('-A FLANNEL-FWD'))
        .join('\n'),
    );
    const r = traceFlow(snap, {
      from: 'default/client-a',
      to: 'kube-system/coredns-b',
      port: 53,
      protocol: 'udp',
    });
    const hop = stopped(r);
    assert.equal(hop.kind, 'filter');
    assert.equal(hop.node, 'worker-3');
    assert.match(
      r.reason ?? '',
      /^worker-3 filter FORWARD drops 10\.244\.1\.2 -> 10\.244\.3\.2:53\/udp: policy DROP$/,
    );
  });

  it('a DROP of the VXLAN port on the peer breaks at peer-node (overlay.port-blocked)', () => {
    const snap = fixtureSnapshot();
    snap.nodes['worker-2']!.iptablesNft = editedIptables('worker-2', (t) =>
      t.replace(
        '-A INPUT -j KUBE-FIREWALL',
        '-A INPUT -p udp -m udp --dport 8472 -j DROP\n-A INPUT -j KUBE-FIREWALL',
      ),
    );
    const r = traceFlow(snap, { from: 'default/client-a', to: 'default/web-1' });
    assert.equal(stopped(r).kind, 'peer-node');
    assert.match(
      r.reason ?? '',
      /worker-2 filter INPUT drops VXLAN udp\/8472 from 192\.168\.77\.11: -A INPUT -p udp -m udp --dport 8472 -j DROP/,
    );
  });

  it("a neighbour pointing at a MAC other than the peer's VTEP breaks at vxlan-neighbour", () => {
    const snap = fixtureSnapshot();
    const w3 = snap.cluster.nodes.find((n) => n.metadata.name === 'worker-3')!;
    w3.metadata.annotations!['flannel.alpha.coreos.com/backend-data'] = JSON.stringify({
      VNI: 1,
      VtepMAC: 'a6:4e:77:00:00:33',
    });
    const r = traceFlow(snap, { from: 'default/client-a', to: 'default/web-2' });
    assert.equal(stopped(r).kind, 'vxlan-neighbour');
    assert.equal(
      r.reason,
      "flannel.1 on worker-1 resolves 10.244.3.0 to a6:4e:77:00:00:03, but worker-3's VTEP is a6:4e:77:00:00:33",
    );
  });

  it("a bridge address outside the node's pod subnet breaks at veth-bridge", () => {
    const snap = fixtureSnapshot();
    snap.cluster.nodes.find((n) => n.metadata.name === 'worker-1')!.spec.podCIDR = '10.244.9.0/24';
    const r = traceFlow(snap, { from: 'default/client-a', to: 'default/web-1' });
    assert.equal(stopped(r).kind, 'veth-bridge');
    assert.equal(
      r.reason,
      "cni0 on worker-1 carries 10.244.1.1/24, outside the node's pod subnet 10.244.9.0/24",
    );
  });

  it('a node without a collected datapath makes the trace unknown, not broken', () => {
    const snap = fixtureSnapshot();
    delete snap.nodes['worker-3'];
    const r = traceFlow(snap, { from: 'default/client-a', to: 'default/web-2' });
    assert.equal(r.status, 'unknown');
    assert.equal(stopped(r).kind, 'peer-node');
    assert.match(r.reason ?? '', /no datapath was collected from worker-3/);
  });
});

describe('trace text and --port', () => {
  it('renders every hop and the evidence of the broken one', () => {
    const snap = fixtureSnapshot({ 'worker-2': 'flannel-3node-routes-flushed' });
    const text = renderTraceText(
      traceFlow(snap, {
        from: 'kube-system/coredns-a',
        to: 'kube-system/coredns-b',
        port: 53,
        protocol: 'udp',
      }),
    );
    assert.match(text, /^trace kube-system\/coredns-a -> kube-system\/coredns-b:53\/udp\n/);
    assert.match(text, / 3\. BROKEN node-route +\[worker-2\] worker-2 has no route to 10\.244\.3\.0\/24\n/);
    assert.match(text, /broken at node-route: worker-2 has no route to 10\.244\.3\.0\/24/);
    assert.match(
      text,
      /nodes\/worker-2\/ip-route\.json\n {4}observed: default via 192\.168\.77\.1 dev eth0\n/,
    );
  });
  it('reads PORT, PORT/PROTO and icmp; rejects the rest', () => {
    assert.deepEqual(parseTracePort('53/UDP'), { port: 53, protocol: 'udp' });
    assert.deepEqual(parseTracePort('8080'), { port: 8080 });
    assert.deepEqual(parseTracePort('icmp'), { protocol: 'icmp' });
    assert.throws(() => parseTracePort('53/sctp'), /unknown protocol/);
    assert.throws(() => parseTracePort('0'), /--port must be/);
  });
});
