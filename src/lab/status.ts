/** `lab status`: what the lab is, as data other tools and tests can act on. */

import { tryKubectl } from './kubectl.ts';
import type { LabPaths } from './paths.ts';
import { type LabProxyMode, labProxyMode } from './proxy-mode.ts';
import { isAlive, tryRun } from './shell.ts';
import { readState } from './state.ts';
import { type NodeRole, planTopology } from './topology.ts';

export interface LabNodeStatus {
  name: string;
  netns: string;
  nodeIp: string;
  podCidr: string | null;
  role: NodeRole;
  ready: boolean;
  /** Pid of the process holding the node's mount namespace (`nsenter -t PID -m -n`). */
  holderPid: number | null;
}

export interface ComponentHealth {
  name: string;
  node: string | null;
  pid: number;
  running: boolean;
  /** The component's own health endpoint where it has one; otherwise whether it runs. */
  healthy: boolean;
}

/** Health endpoints reachable from inside the node that runs the component. */
const HEALTH_URL: Record<string, string> = {
  etcd: 'http://127.0.0.1:2379/health',
  kubelet: 'http://127.0.0.1:10248/healthz',
  'kube-controller-manager': 'https://127.0.0.1:10257/healthz',
  'kube-scheduler': 'https://127.0.0.1:10259/healthz',
};

function componentHealthy(
  name: string,
  pid: number,
  holder: number | undefined,
  apiServerReady: boolean,
): boolean {
  if (!isAlive(pid)) return false;
  const kind = name.split('/').at(-1) ?? name;
  if (kind === 'kube-apiserver') return apiServerReady;
  const url = HEALTH_URL[kind];
  if (url === undefined || holder === undefined) return true;
  return (
    tryRun('nsenter', ['-t', String(holder), '-n', 'curl', '-skf', '-m', '3', url], { timeoutMs: 5000 })
      .code === 0
  );
}

export type LabStatus =
  | { state: 'down' }
  | {
      state: 'up' | 'starting' | 'failed';
      kubeconfig: string;
      kubectl: string;
      apiServerReady: boolean;
      /** How the lab's kube-proxy programs Services. */
      proxyMode: LabProxyMode;
      nodes: LabNodeStatus[];
      components: ComponentHealth[];
      faults: { id: string; node?: string }[];
      logs: string;
    };

interface NodeJson {
  metadata: { name: string };
  spec: { podCIDR?: string };
  status: { conditions?: { type: string; status: string }[] };
}

export function labStatus(paths: LabPaths): LabStatus {
  const state = readState(paths.stateFile);
  if (!state) return { state: 'down' };
  const t = planTopology(state.nodeCount);
  const apiServerReady = tryKubectl(paths, ['get', '--raw', '/readyz'], { timeoutMs: 10_000 }).code === 0;
  const byName = new Map<string, NodeJson>();
  if (apiServerReady) {
    const r = tryKubectl(paths, ['get', 'nodes', '-o', 'json'], { timeoutMs: 15_000 });
    if (r.code === 0) {
      for (const n of (JSON.parse(r.stdout) as { items: NodeJson[] }).items) byName.set(n.metadata.name, n);
    }
  }
  return {
    state: state.phase,
    kubeconfig: paths.kubeconfig,
    kubectl: paths.kubectl,
    apiServerReady,
    proxyMode: labProxyMode(state),
    nodes: t.nodes.map((n) => {
      const k = byName.get(n.name);
      const holder = state.holders[n.name];
      return {
        name: n.name,
        netns: n.netns,
        nodeIp: n.ip,
        podCidr: k?.spec.podCIDR ?? null,
        role: n.role,
        ready: k?.status.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false,
        holderPid: holder !== undefined && isAlive(holder) ? holder : null,
      };
    }),
    components: state.processes.map((p) => ({
      name: p.name,
      node: p.node ?? null,
      pid: p.pid,
      running: isAlive(p.pid),
      healthy: componentHealthy(
        p.name,
        p.pid,
        p.node === undefined ? undefined : state.holders[p.node],
        apiServerReady,
      ),
    })),
    faults: state.faults.map((f) => (f.node === undefined ? { id: f.id } : { id: f.id, node: f.node })),
    logs: paths.logs,
  };
}

export function renderStatus(s: LabStatus): string {
  if (s.state === 'down') return 'lab: down\n';
  const lines = [
    `lab: ${s.state}   api server: ${s.apiServerReady ? 'ready' : 'NOT READY'}   kube-proxy: ${s.proxyMode} mode`,
    `kubeconfig: ${s.kubeconfig}`,
    `kubectl:    ${s.kubectl}`,
    '',
    'NODE'.padEnd(14) +
      'ROLE'.padEnd(15) +
      'NETNS'.padEnd(14) +
      'NODE IP'.padEnd(14) +
      'POD CIDR'.padEnd(16) +
      'READY',
  ];
  for (const n of s.nodes) {
    lines.push(
      n.name.padEnd(14) +
        n.role.padEnd(15) +
        n.netns.padEnd(14) +
        n.nodeIp.padEnd(14) +
        (n.podCidr ?? '-').padEnd(16) +
        String(n.ready),
    );
  }
  lines.push('', 'COMPONENT'.padEnd(28) + 'PID'.padEnd(9) + 'RUNNING'.padEnd(9) + 'HEALTHY');
  for (const c of s.components) {
    lines.push(c.name.padEnd(28) + String(c.pid).padEnd(9) + String(c.running).padEnd(9) + String(c.healthy));
  }
  if (s.faults.length > 0) {
    lines.push(
      '',
      `faults in force: ${s.faults.map((f) => (f.node ? `${f.id}@${f.node}` : f.id)).join(', ')}`,
    );
  }
  return `${lines.join('\n')}\n`;
}
