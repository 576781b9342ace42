/**
 * Checks against the real lab with plain kubectl and `kubectl exec` from the toolbox pods, so a
 * pass or a fail is the cluster's, independent of netdoctor's own analysis.
 */
import { spawnSync } from 'node:child_process';
import { DEMO_NAMESPACE, DEMO_NODEPORT } from '../../src/lab/addons/demo.ts';
import { OUTSIDE_WEB_BODY } from '../../src/lab/outside-world.ts';
import { labPaths } from '../../src/lab/paths.ts';
import { NET } from '../../src/lab/topology.ts';
import { loadVersions } from '../../src/lab/versions.ts';

export const paths = labPaths(loadVersions());

export interface Result {
  ok: boolean;
  out: string;
}

export function kc(args: string[], timeoutMs = 30_000, input?: string): Result {
  const r = spawnSync(paths.kubectl, ['--kubeconfig', paths.kubeconfig, ...args], {
    encoding: 'utf8',
    timeout: timeoutMs,
    ...(input === undefined ? {} : { input }),
  });
  return { ok: r.status === 0, out: `${r.stdout ?? ''}${r.stderr ?? ''}` };
}

/**
 * The addresses in the demo web Service's EndpointSlices ('' when it has none), from kubectl's
 * standard output alone: v1 Endpoints is deprecated from 1.33 and kubectl's warning about it,
 * on stderr, is not data. A kubectl that fails throws rather than read as "no endpoints".
 */
export function webEndpoints(): string {
  const r = spawnSync(
    paths.kubectl,
    [
      '--kubeconfig',
      paths.kubeconfig,
      '-n',
      DEMO_NAMESPACE,
      'get',
      'endpointslices',
      '-l',
      'kubernetes.io/service-name=web',
      '-o',
      'jsonpath={.items[*].endpoints[*].addresses}',
    ],
    { encoding: 'utf8', timeout: 30_000 },
  );
  if (r.status !== 0) throw new Error(`kubectl get endpointslices: ${r.stderr}`);
  return (r.stdout ?? '').trim();
}

/** True when dig +short printed an address line (its errors also carry addresses). */
export function hasAddress(digOutput: string): boolean {
  return /^\d+\.\d+\.\d+\.\d+$/m.test(digOutput);
}

export interface ToolboxPod {
  name: string;
  node: string;
  ip: string;
}

export function toolboxPods(): ToolboxPod[] {
  const r = kc(['-n', DEMO_NAMESPACE, 'get', 'pods', '-l', 'app=toolbox', '-o', 'json']);
  if (!r.ok) throw new Error(r.out);
  const items = (
    JSON.parse(r.out) as {
      items: {
        metadata: { name: string };
        spec: { nodeName: string };
        status: { podIP?: string; phase: string };
      }[];
    }
  ).items;
  return items
    .filter((p) => p.status.phase === 'Running' && p.status.podIP)
    .map((p) => ({ name: p.metadata.name, node: p.spec.nodeName, ip: p.status.podIP! }))
    .sort((a, b) => a.node.localeCompare(b.node));
}

/** Runs a shell command in a toolbox pod. */
export function execIn(pod: ToolboxPod, script: string, timeoutMs = 30_000): Result {
  return kc(['-n', DEMO_NAMESPACE, 'exec', pod.name, '--', 'sh', '-c', script], timeoutMs);
}

export const probes = {
  ping: (from: ToolboxPod, ip: string, size = 56) => execIn(from, `ping -c 2 -W 2 -s ${size} ${ip}`),
  tcp: (from: ToolboxPod, ip: string) => execIn(from, `curl -sS -m 3 http://${ip}:8080/`),
  dnsUdp: (from: ToolboxPod, name: string) => execIn(from, `dig +search +short +time=2 +tries=2 ${name}`),
  dnsTcp: (from: ToolboxPod, name: string) =>
    execIn(from, `dig +tcp +search +short +time=2 +tries=2 ${name}`),
  http: (from: ToolboxPod, url: string) => execIn(from, `curl -sS -m 5 ${url}`),
};

export function allPodsRunning(): { ok: boolean; notRunning: string[] } {
  const r = kc([
    'get',
    'pods',
    '-A',
    '-o',
    'jsonpath={range .items[*]}{.metadata.namespace}/{.metadata.name} {.status.phase} {range .status.containerStatuses[*]}{.ready},{end}{"\\n"}{end}',
  ]);
  const bad = r.out
    .trim()
    .split('\n')
    .filter((l) => l !== '' && (!l.includes(' Running ') || l.includes('false')));
  return { ok: r.ok && bad.length === 0, notRunning: bad };
}

export async function eventually(what: string, check: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 2000));
  }
}

/** Every healthy check of the issue; returns the failures (empty when healthy). */
export function healthyFailures(): string[] {
  const fails: string[] = [];
  const running = allPodsRunning();
  if (!running.ok) fails.push(`pods not running: ${running.notRunning.join('; ')}`);
  const pods = toolboxPods();
  for (const from of pods) {
    for (const to of pods) {
      if (to.node === from.node) continue;
      if (!probes.ping(from, to.ip).ok) fails.push(`ping ${from.node} -> ${to.node}`);
      if (!probes.tcp(from, to.ip).ok) fails.push(`tcp ${from.node} -> ${to.node}`);
    }
    for (const name of ['kubernetes.default', NET.outsideWebName]) {
      const u = probes.dnsUdp(from, name);
      if (!u.ok || !hasAddress(u.out)) fails.push(`dns/udp ${name} from ${from.node}: ${u.out.trim()}`);
      const t = probes.dnsTcp(from, name);
      if (!t.ok || !hasAddress(t.out)) fails.push(`dns/tcp ${name} from ${from.node}: ${t.out.trim()}`);
    }
    if (!probes.http(from, `http://web.${DEMO_NAMESPACE}.svc.${NET.clusterDomain}/`).ok)
      fails.push(`clusterip from ${from.node}`);
    for (const n of pods) {
      const nodeIp = kc([
        'get',
        'node',
        n.node,
        '-o',
        'jsonpath={.status.addresses[?(@.type=="InternalIP")].address}',
      ]).out.trim();
      if (!probes.http(from, `http://${nodeIp}:${DEMO_NODEPORT}/`).ok)
        fails.push(`nodeport ${n.node} from ${from.node}`);
    }
    const ext = probes.http(from, `http://${NET.outsideWebName}/`);
    if (!ext.ok || !ext.out.includes(OUTSIDE_WEB_BODY.trim()))
      fails.push(`outside http from ${from.node}: ${ext.out.trim()}`);
  }
  return fails;
}
