/**
 * The control plane on node 1, run the way a kubeadm node would run its static pods, but as
 * processes in the node's namespaces: etcd (Debian's 3.4), kube-apiserver,
 * kube-controller-manager (allocating node pod CIDRs, as flannel's kube subnet manager expects)
 * and kube-scheduler.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { nodeExec } from './node-runtime.ts';
import type { LabPaths } from './paths.ts';
import { kubeconfigYaml, type Pki } from './pki.ts';
import { spawnDaemon } from './shell.ts';
import type { StateRecorder } from './state.ts';
import { type LabTopology, NET } from './topology.ts';

export type ControlPlaneComponent = 'etcd' | 'kube-apiserver' | 'kube-controller-manager' | 'kube-scheduler';

export const CONTROL_PLANE_COMPONENTS: readonly ControlPlaneComponent[] = [
  'etcd',
  'kube-apiserver',
  'kube-controller-manager',
  'kube-scheduler',
];

/** The command line of one component. */
export function controlPlaneArgs(
  c: ControlPlaneComponent,
  paths: LabPaths,
  pki: Pki,
  t: LabTopology,
): string[] {
  const cp = t.controlPlane;
  const kc = (name: string) => join(paths.state, `${name}.kubeconfig`);
  switch (c) {
    case 'etcd':
      return [
        'etcd',
        '--name=etcd-lab',
        `--data-dir=${join(paths.state, 'etcd')}`,
        '--listen-client-urls=http://127.0.0.1:2379',
        '--advertise-client-urls=http://127.0.0.1:2379',
        '--listen-peer-urls=http://127.0.0.1:2380',
        '--initial-advertise-peer-urls=http://127.0.0.1:2380',
        '--initial-cluster=etcd-lab=http://127.0.0.1:2380',
        '--listen-metrics-urls=http://127.0.0.1:2381',
      ];
    case 'kube-apiserver':
      return [
        join(paths.k8sBin, 'kube-apiserver'),
        `--advertise-address=${cp.ip}`,
        '--bind-address=0.0.0.0',
        '--secure-port=6443',
        '--etcd-servers=http://127.0.0.1:2379',
        `--service-cluster-ip-range=${NET.serviceCidr}`,
        `--client-ca-file=${pki.caCert}`,
        `--tls-cert-file=${pki.apiserverCert}`,
        `--tls-private-key-file=${pki.apiserverKey}`,
        `--kubelet-client-certificate=${pki.client('apiserver-kubelet-client').cert}`,
        `--kubelet-client-key=${pki.client('apiserver-kubelet-client').key}`,
        '--kubelet-preferred-address-types=InternalIP',
        `--service-account-issuer=https://kubernetes.default.svc.${NET.clusterDomain}`,
        `--service-account-key-file=${pki.saPub}`,
        `--service-account-signing-key-file=${pki.saKey}`,
        '--authorization-mode=Node,RBAC',
        '--enable-admission-plugins=NodeRestriction',
        '--allow-privileged=true',
        '--profiling=false',
        '--v=1',
      ];
    case 'kube-controller-manager':
      return [
        join(paths.k8sBin, 'kube-controller-manager'),
        `--kubeconfig=${kc('controller-manager')}`,
        `--authentication-kubeconfig=${kc('controller-manager')}`,
        `--authorization-kubeconfig=${kc('controller-manager')}`,
        '--bind-address=127.0.0.1',
        '--leader-elect=false',
        '--allocate-node-cidrs=true',
        `--cluster-cidr=${NET.podCidr}`,
        '--node-cidr-mask-size=24',
        `--service-cluster-ip-range=${NET.serviceCidr}`,
        `--cluster-signing-cert-file=${pki.caCert}`,
        `--cluster-signing-key-file=${pki.caKey}`,
        `--root-ca-file=${pki.caCert}`,
        `--service-account-private-key-file=${pki.saKey}`,
        '--use-service-account-credentials=true',
        '--controllers=*,bootstrapsigner,tokencleaner',
        '--v=1',
      ];
    case 'kube-scheduler':
      return [
        join(paths.k8sBin, 'kube-scheduler'),
        `--kubeconfig=${kc('scheduler')}`,
        `--authentication-kubeconfig=${kc('scheduler')}`,
        `--authorization-kubeconfig=${kc('scheduler')}`,
        '--bind-address=127.0.0.1',
        '--leader-elect=false',
        '--v=1',
      ];
  }
}

/** Writes the kubeconfigs of the admin, the controllers and each kubelet. */
export function writeKubeconfigs(paths: LabPaths, pki: Pki, t: LabTopology): void {
  mkdirSync(paths.state, { recursive: true });
  const external = `https://${t.controlPlane.ip}:6443`;
  writeFileSync(paths.kubeconfig, kubeconfigYaml(external, pki, 'admin'), { mode: 0o600 });
  // The controllers run beside the API server and reach it on the node's loopback.
  writeFileSync(
    join(paths.state, 'controller-manager.kubeconfig'),
    kubeconfigYaml('https://127.0.0.1:6443', pki, 'controller-manager'),
  );
  writeFileSync(
    join(paths.state, 'scheduler.kubeconfig'),
    kubeconfigYaml('https://127.0.0.1:6443', pki, 'scheduler'),
  );
  for (const n of t.nodes) {
    writeFileSync(
      join(paths.state, `kubelet-${n.name}.kubeconfig`),
      kubeconfigYaml(external, pki, `kubelet-${n.name}`),
    );
  }
}

export function startControlPlaneComponent(
  rec: StateRecorder,
  paths: LabPaths,
  pki: Pki,
  t: LabTopology,
  holder: number,
  c: ControlPlaneComponent,
): number {
  const args = controlPlaneArgs(c, paths, pki, t);
  const exec = nodeExec(holder);
  const pid = spawnDaemon(exec[0]!, [...exec.slice(1), ...args], join(paths.logs, `${c}.log`));
  rec.update((s) => s.processes.push({ name: c, pid, node: t.controlPlane.name }));
  return pid;
}
