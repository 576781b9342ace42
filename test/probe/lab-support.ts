/** Shared by the live probe tests: is the lab up, a port to it, and the cluster state probes plan from. */
import { spawnSync } from 'node:child_process';
import { KubePort, loadKubeConfig } from '../../src/cluster/kube-port.ts';
import type { ClusterPort } from '../../src/cluster/port.ts';
import { type ClusterState, emptyClusterState } from '../../src/core/cluster-types.ts';
import { NET } from '../../src/lab/topology.ts';

export const LAB_IMAGE = 'netdoctor.lab/toolbox:2-ndlab';
export const LAB_KUBECONFIG = '/var/lib/netdoctor-lab/admin.kubeconfig';
export const LAB_NAMESPACE = 'default';
export const LAB_EXTERNAL_TARGET = `http://${NET.outsideWeb}/`;
export const LAB_EXTERNAL_NAME = NET.outsideWebName;

export interface LabStatus {
  state: string;
  apiServerReady?: boolean;
  faults?: { id: string }[];
  nodes?: { name: string; nodeIp: string; ready: boolean }[];
}

/** The lab's status, or the reason the live tests skip. */
export function labStatus(): { status?: LabStatus; skip?: string } {
  const r = spawnSync(process.execPath, ['src/cli/main.ts', 'lab', 'status', '-o', 'json'], {
    encoding: 'utf8',
    timeout: 60_000,
  });
  try {
    const status = JSON.parse(r.stdout) as LabStatus;
    if (status.state !== 'up' || !status.apiServerReady)
      return { skip: `the lab is not running (lab status: ${status.state}); run \`netdoctor lab up\`` };
    return { status };
  } catch {
    return { skip: `lab status did not answer: ${(r.stderr || r.stdout).slice(0, 200)}` };
  }
}

export function labPort(): ClusterPort {
  return new KubePort(loadKubeConfig({ kubeconfig: LAB_KUBECONFIG }));
}

export async function labCluster(port: ClusterPort): Promise<ClusterState> {
  const c = emptyClusterState();
  c.nodes = (await port.list('nodes')) as ClusterState['nodes'];
  c.pods = (await port.list('pods')) as ClusterState['pods'];
  c.services = (await port.list('services')) as ClusterState['services'];
  return c;
}
