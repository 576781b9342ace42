/**
 * The probe matrix run between the pod namespaces, with a VXLAN capture on every node's eth0
 * while it runs. Every outcome is what the kernel really did with the packets.
 */
import { rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { VxlanCapture } from '../../src/core/datapath-types.ts';
import type { ProbeOutcome, ProbeResult, ProbeResults } from '../../src/core/probe-types.ts';
import { daemon, run, sleep, stopDaemon, tryRun } from './sh.ts';
import {
  CLUSTER_DNS_IP,
  corednsPods,
  EXTERNAL_NAME,
  IN_CLUSTER_NAME,
  KUBERNETES_SVC_IP,
  NET_PODS,
  type NetPodSpec,
  NODES,
  OUTSIDE_NS,
  OUTSIDE_WEB,
  probePods,
  STOREFRONT_IP,
  STOREFRONT_NODEPORT,
} from './world.ts';

const AGENT = fileURLToPath(new URL('./probe-agent.ts', import.meta.url));
const DF_PING = fileURLToPath(new URL('./df-ping.pl', import.meta.url));
const TIMEOUT_MS = 2000;
/** Queries sent through the kube-dns ClusterIP: each picks a backend at random (KUBE-SVC statistic). */
const SERVICE_ATTEMPTS = 4;

type Outcome = Extract<ProbeOutcome, { status: 'pass' } | { status: 'fail' }>;

async function agent(ns: string, job: Record<string, unknown>): Promise<Outcome> {
  const r = await tryRun(
    ns,
    [process.execPath, AGENT, JSON.stringify({ timeoutMs: TIMEOUT_MS, ...job })],
    10_000,
  );
  try {
    return JSON.parse(r.stdout) as Outcome;
  } catch {
    return { status: 'fail', error: 'other', detail: `probe agent failed: ${r.stderr.trim().slice(0, 200)}` };
  }
}

async function icmp(ns: string, ip: string): Promise<Outcome> {
  const r = await tryRun(ns, ['busybox', 'ping', '-c', '2', '-W', '1', ip], 10_000);
  const m = /(\d+) packets transmitted, (\d+) packets received/.exec(r.stdout);
  const rtt = /round-trip min\/avg\/max = [\d.]+\/([\d.]+)\//.exec(r.stdout);
  if (m && Number(m[2]) > 0) {
    return { status: 'pass', rttMs: Number(rtt?.[1] ?? 0), detail: `${m[1]} transmitted, ${m[2]} received` };
  }
  return {
    status: 'fail',
    error: 'timeout',
    detail: m
      ? `${m[1]} packets transmitted, ${m[2]} received`
      : (r.stderr.trim() || r.stdout.trim()).slice(0, 200),
  };
}

async function dfPing(ns: string, ip: string, size: number): Promise<Outcome> {
  const r = await tryRun(ns, ['perl', DF_PING, ip, String(size), '2', '1'], 10_000);
  const lines = r.stdout.trim().split('\n').filter(Boolean);
  if (r.code === 0) return { status: 'pass', detail: lines.join('; ') };
  const text = lines.join('; ');
  const error = /Frag needed|unreachable/i.test(text)
    ? 'unreachable'
    : /timeout/.test(text)
      ? 'timeout'
      : 'other';
  return { status: 'fail', error, detail: text || r.stderr.trim() };
}

/** Several queries through the Service IP; fails when any one does, saying how many. */
async function viaService(ns: string, job: Record<string, unknown>): Promise<Outcome> {
  const all = await Promise.all(Array.from({ length: SERVICE_ATTEMPTS }, () => agent(ns, job)));
  const failed = all.filter((o): o is Extract<Outcome, { status: 'fail' }> => o.status === 'fail');
  if (failed.length === 0) {
    const rtt = Math.max(...all.map((o) => (o.status === 'pass' ? (o.rttMs ?? 0) : 0)));
    return { status: 'pass', rttMs: rtt, detail: `${all.length}/${all.length} queries answered` };
  }
  return {
    status: 'fail',
    error: failed[0]!.error,
    detail: `${failed.length}/${all.length} queries failed (${failed[0]!.detail ?? failed[0]!.error})`,
  };
}

interface Planned {
  result: Omit<ProbeResult, 'outcome'>;
  run: () => Promise<Outcome>;
}

const endpoint = (p: NetPodSpec, port?: number) => ({
  node: p.node,
  pod: p.name,
  namespace: p.namespace,
  ip: p.ip,
  ...(port === undefined ? {} : { port }),
});

/** Pod interface MTU by pod namespace, read back from the kernel. */
function podMtu(p: NetPodSpec): number {
  const j = JSON.parse(run(p.ns, ['ip', '-j', 'link', 'show', 'eth0'])) as { mtu: number }[];
  return j[0]!.mtu;
}

export function plan(): Planned[] {
  const out: Planned[] = [];
  const probes = probePods();
  const dns = corednsPods();
  for (const src of probes) {
    const others = NET_PODS.filter((p) => p !== src && (p.role === 'probe' || p.node === src.node));
    for (const dst of others) {
      const to = dst.role === 'probe' ? dst.node : dst.name;
      out.push({
        result: {
          id: `pod-to-pod-icmp/${src.node}/${to}`,
          scenario: 'pod-to-pod-icmp',
          from: endpoint(src),
          to: endpoint(dst),
          protocol: 'icmp',
          expect: 'pass',
        },
        run: () => icmp(src.ns, dst.ip),
      });
      if (dst.httpPort !== undefined) {
        out.push({
          result: {
            id: `pod-to-pod-tcp/${src.node}/${to}`,
            scenario: 'pod-to-pod-tcp',
            from: endpoint(src),
            to: endpoint(dst, dst.httpPort),
            protocol: 'tcp',
            expect: 'pass',
          },
          run: () => agent(src.ns, { kind: 'http', ip: dst.ip, port: dst.httpPort }),
        });
      }
    }
    const app = NET_PODS.find((p) => p.role === 'app')!;
    if (app.node !== src.node) {
      out.push({
        result: {
          id: `pod-to-pod-tcp/${src.node}/${app.name}`,
          scenario: 'pod-to-pod-tcp',
          from: endpoint(src),
          to: endpoint(app, app.httpPort),
          protocol: 'tcp',
          expect: 'pass',
        },
        run: () => agent(src.ns, { kind: 'http', ip: app.ip, port: app.httpPort }),
      });
    }
    for (const proto of ['udp', 'tcp'] as const) {
      const scenario = proto === 'udp' ? 'dns-udp' : 'dns-tcp';
      for (const d of dns) {
        out.push({
          result: {
            id: `${scenario}/${src.node}/${d.name}`,
            scenario,
            from: endpoint(src),
            to: { ...endpoint(d, 53), name: IN_CLUSTER_NAME },
            protocol: proto,
            expect: 'pass',
          },
          run: () =>
            agent(src.ns, {
              kind: 'dns',
              proto,
              ip: d.ip,
              port: 53,
              name: IN_CLUSTER_NAME,
              expectAddress: KUBERNETES_SVC_IP,
            }),
        });
      }
      out.push({
        result: {
          id: `${scenario}/${src.node}/kube-dns`,
          scenario,
          from: endpoint(src),
          to: { namespace: 'kube-system', name: IN_CLUSTER_NAME, ip: CLUSTER_DNS_IP, port: 53 },
          protocol: proto,
          expect: 'pass',
        },
        run: () =>
          viaService(src.ns, {
            kind: 'dns',
            proto,
            ip: CLUSTER_DNS_IP,
            port: 53,
            name: IN_CLUSTER_NAME,
            expectAddress: KUBERNETES_SVC_IP,
          }),
      });
    }
    out.push({
      result: {
        id: `service-clusterip/${src.node}/shop/storefront`,
        scenario: 'service-clusterip',
        from: endpoint(src),
        to: { namespace: 'shop', name: 'storefront', ip: STOREFRONT_IP, port: 80 },
        protocol: 'tcp',
        expect: 'pass',
      },
      run: () => agent(src.ns, { kind: 'http', ip: STOREFRONT_IP, port: 80 }),
    });
    out.push({
      result: {
        id: `external/${src.node}/http`,
        scenario: 'external',
        from: endpoint(src),
        to: { name: `http://${OUTSIDE_WEB}/`, ip: OUTSIDE_WEB, port: 80 },
        protocol: 'tcp',
        expect: 'pass',
      },
      run: () => agent(src.ns, { kind: 'http', ip: OUTSIDE_WEB, port: 80 }),
    });
    out.push({
      result: {
        id: `external/${src.node}/dns`,
        scenario: 'external',
        from: endpoint(src),
        to: { name: EXTERNAL_NAME, ip: CLUSTER_DNS_IP, port: 53 },
        protocol: 'udp',
        expect: 'pass',
      },
      run: () =>
        viaService(src.ns, {
          kind: 'dns',
          proto: 'udp',
          ip: CLUSTER_DNS_IP,
          port: 53,
          name: EXTERNAL_NAME,
          expectAddress: OUTSIDE_WEB,
        }),
    });
    // Overlay MTU: don't-fragment echoes to the next node's probe pod. A size the sender's own
    // interface can carry must arrive; a larger one must be refused by the sender itself.
    const next = probes[(probes.indexOf(src) + 1) % probes.length]!;
    const mtu = podMtu(src);
    for (const size of [1422, 1472]) {
      out.push({
        result: {
          id: `mtu/${src.node}/${next.node}/${size}`,
          scenario: 'mtu',
          from: endpoint(src),
          to: endpoint(next),
          protocol: 'icmp',
          size,
          expect: size + 28 <= mtu ? 'pass' : 'fail',
        },
        run: () => dfPing(src.ns, next.ip, size),
      });
    }
  }
  // From the application pod itself (seed 002's debug-pod checks, seed 003's DNS egress).
  const app = NET_PODS.find((p) => p.role === 'app')!;
  for (const proto of ['udp', 'tcp'] as const) {
    const scenario = proto === 'udp' ? 'dns-udp' : 'dns-tcp';
    out.push({
      result: {
        id: `${scenario}/${app.node}/kube-dns/from-${app.namespace}`,
        scenario,
        from: endpoint(app),
        to: { namespace: 'kube-system', name: IN_CLUSTER_NAME, ip: CLUSTER_DNS_IP, port: 53 },
        protocol: proto,
        expect: 'pass',
      },
      run: () =>
        viaService(app.ns, {
          kind: 'dns',
          proto,
          ip: CLUSTER_DNS_IP,
          port: 53,
          name: IN_CLUSTER_NAME,
          expectAddress: KUBERNETES_SVC_IP,
        }),
    });
  }
  out.push({
    result: {
      id: `external/${app.node}/http/from-${app.namespace}`,
      scenario: 'external',
      from: endpoint(app),
      to: { name: `http://${OUTSIDE_WEB}/`, ip: OUTSIDE_WEB, port: 80 },
      protocol: 'tcp',
      expect: 'pass',
    },
    run: () => agent(app.ns, { kind: 'http', ip: OUTSIDE_WEB, port: 80 }),
  });
  for (const n of NODES) {
    out.push({
      result: {
        id: `nodeport/outside/${n.name}`,
        scenario: 'nodeport',
        from: { name: 'outside-client', ip: '192.168.77.1' },
        to: { node: n.name, ip: n.ip, port: STOREFRONT_NODEPORT, name: 'shop/storefront' },
        protocol: 'tcp',
        expect: 'pass',
      },
      run: () => agent(OUTSIDE_NS, { kind: 'http', ip: n.ip, port: STOREFRONT_NODEPORT }),
    });
  }
  return out;
}

function countCapture(file: string, self: string, seconds: number): VxlanCapture {
  const packetsByPeer: Record<string, number> = {};
  for (const n of NODES) if (n.ip !== self) packetsByPeer[n.ip] = 0;
  let total = 0;
  let text = '';
  try {
    text = run(null, ['tcpdump', '-n', '-r', file]);
  } catch {
    text = '';
  }
  const nodeIPs = new Set(NODES.map((n) => n.ip));
  for (const line of text.split('\n')) {
    // Outer headers only: tcpdump prints the decapsulated packet on a line of its own.
    const m = /^\S+ IP (\d+\.\d+\.\d+\.\d+)\.(\d+) > (\d+\.\d+\.\d+\.\d+)\.(\d+):/.exec(line);
    if (!m || (m[2] !== '8472' && m[4] !== '8472')) continue;
    const peer = m[1] === self ? m[3]! : m[1]!;
    if (!nodeIPs.has(peer)) continue;
    total++;
    packetsByPeer[peer] = (packetsByPeer[peer] ?? 0) + 1;
  }
  return { iface: 'eth0', port: 8472, seconds, packetsByPeer, total };
}

/** Runs the whole matrix while tcpdump watches UDP 8472 on every node's eth0. */
export async function runProbes(): Promise<{ probes: ProbeResults; captures: Record<string, VxlanCapture> }> {
  const planned = plan();
  const files = NODES.map((n) => `/tmp/ndx-vxlan-${n.name}.pcap`);
  const dumps = NODES.map((n, i) =>
    daemon(n.ns, ['tcpdump', '-i', 'eth0', '-n', '-U', '-w', files[i]!, 'udp', 'port', '8472']),
  );
  await sleep(1000);
  const startedAt = new Date();
  const t0 = performance.now();
  const outcomes = await Promise.all(planned.map((p) => p.run()));
  const durationMs = Math.round(performance.now() - t0);
  await sleep(300);
  const seconds = Math.round((performance.now() - t0) / 100) / 10;
  await Promise.all(dumps.map((d) => stopDaemon(d, 'SIGINT')));
  const captures: Record<string, VxlanCapture> = {};
  NODES.forEach((n, i) => {
    captures[n.name] = countCapture(files[i]!, n.ip, seconds);
    rmSync(files[i]!, { force: true });
  });
  const results: ProbeResult[] = planned.map((p, i) => ({ ...p.result, outcome: outcomes[i]! }));
  return { probes: { startedAt: startedAt.toISOString(), durationMs, results }, captures };
}
