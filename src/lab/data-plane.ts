/**
 * The lab's data-plane checks, with plain `kubectl exec` from the demo toolbox pods (one per
 * node), so a pass or a fail is the cluster's own, independent of netdoctor's analysis:
 * pod-to-pod ICMP and TCP across every node pair, DNS over UDP and TCP (a cluster name and the
 * outside world's), the web Service's ClusterIP, its NodePort on every node, and HTTP to the
 * outside world. `lab up` waits for them, `lab check` runs them, and the live suites use them
 * to tell a healthy lab from a broken one.
 */
import { DEMO_NAMESPACE, DEMO_NODEPORT } from './addons/demo.ts';
import { tryKubectl } from './kubectl.ts';
import { OUTSIDE_WEB_BODY } from './outside-world.ts';
import type { LabPaths } from './paths.ts';
import type { RunResult } from './shell.ts';
import { NET } from './topology.ts';

/** A running toolbox pod: where a check runs from. */
export interface ToolboxPod {
  name: string;
  node: string;
  ip: string;
}

/** One command's outcome inside a pod; `out` holds stdout and stderr, for a failure's message. */
export interface ExecResult {
  ok: boolean;
  out: string;
}

const joined = (r: RunResult): ExecResult => ({ ok: r.code === 0, out: `${r.stdout}${r.stderr}` });

/** The demo toolbox pods that run and have an address, sorted by node. Throws when kubectl fails. */
export function toolboxPods(paths: LabPaths): ToolboxPod[] {
  const r = tryKubectl(paths, ['-n', DEMO_NAMESPACE, 'get', 'pods', '-l', 'app=toolbox', '-o', 'json'], {
    timeoutMs: 30_000,
  });
  if (r.code !== 0) throw new Error(`kubectl get pods -l app=toolbox: ${r.stderr.trim()}`);
  const items = (
    JSON.parse(r.stdout) as {
      items: {
        metadata: { name: string };
        spec: { nodeName?: string };
        status: { podIP?: string; phase?: string };
      }[];
    }
  ).items;
  return items
    .filter((p) => p.status.phase === 'Running' && p.status.podIP && p.spec.nodeName)
    .map((p) => ({ name: p.metadata.name, node: p.spec.nodeName!, ip: p.status.podIP! }))
    .sort((a, b) => a.node.localeCompare(b.node));
}

/** Runs a shell command in a toolbox pod. */
export function execIn(paths: LabPaths, pod: ToolboxPod, script: string, timeoutMs = 30_000): ExecResult {
  return joined(
    tryKubectl(paths, ['-n', DEMO_NAMESPACE, 'exec', pod.name, '--', 'sh', '-c', script], { timeoutMs }),
  );
}

/** The probes, each a command the toolbox image carries. */
export function labProbes(paths: LabPaths) {
  const x = (from: ToolboxPod, script: string) => execIn(paths, from, script);
  return {
    ping: (from: ToolboxPod, ip: string, size = 56) => x(from, `ping -c 2 -W 2 -s ${size} ${ip}`),
    tcp: (from: ToolboxPod, ip: string) => x(from, `curl -sS -m 3 http://${ip}:8080/`),
    dnsUdp: (from: ToolboxPod, name: string) => x(from, `dig +search +short +time=2 +tries=2 ${name}`),
    dnsTcp: (from: ToolboxPod, name: string) => x(from, `dig +tcp +search +short +time=2 +tries=2 ${name}`),
    http: (from: ToolboxPod, url: string) => x(from, `curl -sS -m 5 ${url}`),
  };
}

/** True when dig +short printed an address line (its errors also carry addresses). */
export function hasAddress(digOutput: string): boolean {
  return /^\d+\.\d+\.\d+\.\d+$/m.test(digOutput);
}

/**
 * Every pod in every namespace that is not Running with all containers ready, as
 * `ns/name phase ...`, and how many pods there are (`ok` says every one of them is).
 */
export function podsNotRunning(paths: LabPaths): { ok: boolean; notRunning: string[]; total: number } {
  const r = tryKubectl(paths, [
    'get',
    'pods',
    '-A',
    '-o',
    'jsonpath={range .items[*]}{.metadata.namespace}/{.metadata.name} {.status.phase} {range .status.containerStatuses[*]}{.ready},{end}{"\\n"}{end}',
  ]);
  if (r.code !== 0) return { ok: false, notRunning: [`kubectl get pods: ${r.stderr.trim()}`], total: 0 };
  const lines = r.stdout
    .trim()
    .split('\n')
    .filter((l) => l !== '');
  const bad = lines.filter((l) => !l.includes(' Running ') || l.includes('false'));
  return { ok: bad.length === 0, notRunning: bad, total: lines.length };
}

const oneLine = (s: string) => s.trim().replaceAll('\n', ' | ').slice(0, 200);

/** The cluster's nodes and their InternalIP addresses (where NodePorts answer). */
function nodeAddresses(paths: LabPaths): Map<string, string> | string {
  const r = tryKubectl(paths, [
    'get',
    'nodes',
    '-o',
    'jsonpath={range .items[*]}{.metadata.name} {.status.addresses[?(@.type=="InternalIP")].address}{"\\n"}{end}',
  ]);
  if (r.code !== 0) return `kubectl get nodes: ${r.stderr.trim()}`;
  const m = new Map<string, string>();
  for (const line of r.stdout.trim().split('\n')) {
    const [name, ip] = line.trim().split(/\s+/);
    if (name) m.set(name, ip ?? '');
  }
  return m;
}

/**
 * Every data-plane check, from every node's toolbox pod; returns the failures, each naming the
 * check, the nodes and what the command printed (empty when the lab is healthy). A node without
 * a running toolbox pod is a failure too: its checks could not run.
 */
export function dataPlaneFailures(paths: LabPaths): string[] {
  const fails: string[] = [];
  const running = podsNotRunning(paths);
  if (!running.ok) fails.push(`pods not running: ${running.notRunning.join('; ')}`);
  const nodes = nodeAddresses(paths);
  if (typeof nodes === 'string') return [...fails, nodes];
  let pods: ToolboxPod[];
  try {
    pods = toolboxPods(paths);
  } catch (err) {
    return [...fails, err instanceof Error ? err.message : String(err)];
  }
  for (const n of nodes.keys())
    if (!pods.some((p) => p.node === n)) fails.push(`no running toolbox pod on ${n}`);
  const probes = labProbes(paths);
  for (const from of pods) {
    for (const to of pods) {
      if (to.node === from.node) continue;
      const ping = probes.ping(from, to.ip);
      if (!ping.ok) fails.push(`ping ${from.node} -> ${to.node}: ${oneLine(ping.out)}`);
      const tcp = probes.tcp(from, to.ip);
      if (!tcp.ok) fails.push(`tcp ${from.node} -> ${to.node}: ${oneLine(tcp.out)}`);
    }
    for (const name of ['kubernetes.default', NET.outsideWebName]) {
      const u = probes.dnsUdp(from, name);
      if (!u.ok || !hasAddress(u.out)) fails.push(`dns/udp ${name} from ${from.node}: ${oneLine(u.out)}`);
      const t = probes.dnsTcp(from, name);
      if (!t.ok || !hasAddress(t.out)) fails.push(`dns/tcp ${name} from ${from.node}: ${oneLine(t.out)}`);
    }
    const cip = probes.http(from, `http://web.${DEMO_NAMESPACE}.svc.${NET.clusterDomain}/`);
    if (!cip.ok) fails.push(`clusterip from ${from.node}: ${oneLine(cip.out)}`);
    for (const [node, ip] of nodes) {
      const np = probes.http(from, `http://${ip}:${DEMO_NODEPORT}/`);
      if (!np.ok) fails.push(`nodeport ${node} from ${from.node}: ${oneLine(np.out)}`);
    }
    const ext = probes.http(from, `http://${NET.outsideWebName}/`);
    if (!ext.ok || !ext.out.includes(OUTSIDE_WEB_BODY.trim()))
      fails.push(`outside http from ${from.node}: ${oneLine(ext.out)}`);
  }
  return fails;
}
