/**
 * A node's private machine: a holder process owns the node's mount namespace (inside its
 * network namespace), where the paths a CNI and its DaemonSet use on a real node
 * (/etc/cni/net.d, /opt/cni/bin, /var/lib/cni, /run/flannel, /var/log/pods, /run/netns) are
 * the node's own directories. containerd and the kubelet run in there, each with its own root,
 * state, socket and cgroup root.
 */
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { NetdoctorError } from '../core/errors.ts';
import type { LabPaths } from './paths.ts';
import type { Pki } from './pki.ts';
import { isAlive, run, spawnDaemon, waitFor } from './shell.ts';
import type { StateRecorder } from './state.ts';
import { type LabNode, NET } from './topology.ts';
import type { LabVersions } from './versions.ts';

/** Host path -> the node directory's subfolder bind-mounted over it. */
export const NODE_MOUNTS = [
  ['/etc/cni/net.d', 'cni-net.d'],
  ['/opt/cni/bin', 'cni-bin'],
  ['/var/lib/cni', 'cni-lib'],
  ['/run/flannel', 'run-flannel'],
  ['/run/netns', 'run-netns'],
  ['/var/log/pods', 'log-pods'],
  ['/var/log/containers', 'log-containers'],
] as const;

/** Host CNI plugins the flannel plugin delegates to (Debian's containernetworking-plugins). */
const HOST_CNI_DIR = '/usr/lib/cni';
const HOST_CNI_PLUGINS = ['bridge', 'host-local', 'loopback', 'portmap'] as const;

export const CGROUP_ROOT = '/sys/fs/cgroup';

/**
 * The cgroup hierarchies on this machine. The lab creates node roots in the v1 ones; runc also
 * mirrors pod cgroups into the hybrid "unified" v2 tree, so teardown sweeps that one too.
 */
export function cgroupHierarchies(opts: { includeUnified?: boolean } = {}): string[] {
  return readdirSync(CGROUP_ROOT).filter(
    (d) =>
      (opts.includeUnified === true || d !== 'unified') && existsSync(join(CGROUP_ROOT, d, 'cgroup.procs')),
  );
}

export function nodeCgroupName(node: LabNode): string {
  return node.name;
}

function makeCgroups(node: LabNode): void {
  for (const h of cgroupHierarchies()) {
    const dir = join(CGROUP_ROOT, h, nodeCgroupName(node));
    mkdirSync(dir, { recursive: true });
    if (h === 'cpuset') {
      // A new cpuset is empty; children (pods) copy from it, so it must carry the parent's.
      for (const f of ['cpuset.cpus', 'cpuset.mems']) {
        writeFileSync(join(dir, f), readFileSync(join(CGROUP_ROOT, h, f), 'utf8'));
      }
    }
  }
}

/** Creates the host mount points the lab needs and records which ones it created. */
export function ensureHostMountPoints(rec: StateRecorder): void {
  for (const [target] of NODE_MOUNTS) {
    const parts = target.split('/').filter(Boolean);
    let cur = '';
    for (const p of parts) {
      cur += `/${p}`;
      if (!existsSync(cur)) {
        mkdirSync(cur);
        rec.update((s) => s.hostDirs.push(cur));
      }
    }
  }
}

function shellQuote(s: string): string {
  return `'${s.replaceAll("'", `'\\''`)}'`;
}

/** Starts the node's holder and waits until its mounts are in place. */
export async function startHolder(rec: StateRecorder, paths: LabPaths, node: LabNode): Promise<number> {
  const dir = paths.nodeDir(node.name);
  const lines = ['set -e'];
  for (const [target, sub] of NODE_MOUNTS) {
    mkdirSync(join(dir, sub), { recursive: true });
    lines.push(`mount --bind ${shellQuote(join(dir, sub))} ${shellQuote(target)}`);
  }
  lines.push('exec sleep infinity');
  const binDir = join(dir, 'cni-bin');
  for (const p of HOST_CNI_PLUGINS) copyFileSync(join(HOST_CNI_DIR, p), join(binDir, p));
  run('chmod', ['0755', ...HOST_CNI_PLUGINS.map((p) => join(binDir, p))]);
  makeCgroups(node);
  const pid = spawnDaemon(
    'nsenter',
    [
      `--net=/run/netns/${node.netns}`,
      '--',
      'unshare',
      '--mount',
      '--propagation',
      'private',
      '--',
      'sh',
      '-c',
      lines.join('\n'),
    ],
    join(paths.logs, `${node.name}-holder.log`),
  );
  rec.update((s) => {
    s.holders[node.name] = pid;
    s.processes.push({ name: `${node.name}/holder`, pid, node: node.name });
  });
  await waitFor(
    `${node.name}'s mount namespace`,
    () => {
      if (!isAlive(pid)) throw new NetdoctorError('lab', `${node.name}'s holder exited; see ${paths.logs}`);
      return readFileSync(`/proc/${pid}/comm`, 'utf8').trim() === 'sleep';
    },
    10_000,
    100,
  );
  return pid;
}

/** Command prefix that runs something in a node's network and mount namespaces. */
export function nodeExec(holder: number): string[] {
  return ['nsenter', '-t', String(holder), '-m', '-n', '--'];
}

export function containerdSocket(paths: LabPaths, node: LabNode): string {
  return join(paths.nodeDir(node.name), 'containerd', 'containerd.sock');
}

export function containerdConfig(paths: LabPaths, node: LabNode, v: LabVersions, registry: string): string {
  const d = join(paths.nodeDir(node.name), 'containerd');
  const cri = 'plugins."io.containerd.grpc.v1.cri"';
  return `version = 2
root = "${d}/root"
state = "${d}/state"
[grpc]
  address = "${d}/containerd.sock"
[ttrpc]
  address = "${d}/containerd.sock.ttrpc"
[plugins."io.containerd.internal.v1.opt"]
  path = "${d}/opt"
[${cri}]
  sandbox_image = "${registry}/pause:${v.PAUSE_VERSION}"
  stream_server_address = "127.0.0.1"
  enable_selinux = false
  # This machine grants no CAP_SYS_RESOURCE, so a pod may not get a lower OOM score than
  # containerd's own (kubelet asks -998 for critical pods); cap it instead of failing.
  restrict_oom_score_adj = true
[${cri}.containerd]
  snapshotter = "overlayfs"
  default_runtime_name = "runc"
[${cri}.containerd.runtimes.runc]
  runtime_type = "io.containerd.runc.v2"
[${cri}.containerd.runtimes.runc.options]
  SystemdCgroup = false
  Root = "${d}/runc"
[${cri}.cni]
  bin_dir = "/opt/cni/bin"
  conf_dir = "/etc/cni/net.d"
`;
}

export function startContainerd(
  rec: StateRecorder,
  paths: LabPaths,
  node: LabNode,
  holder: number,
  v: LabVersions,
  registry: string,
): number {
  const d = join(paths.nodeDir(node.name), 'containerd');
  mkdirSync(d, { recursive: true });
  writeFileSync(join(d, 'config.toml'), containerdConfig(paths, node, v, registry));
  const pid = spawnDaemon(
    nodeExec(holder)[0]!,
    [...nodeExec(holder).slice(1), 'containerd', '--config', join(d, 'config.toml')],
    join(paths.logs, `${node.name}-containerd.log`),
  );
  rec.update((s) => s.processes.push({ name: `${node.name}/containerd`, pid, node: node.name }));
  return pid;
}

export function kubeletConfig(paths: LabPaths, node: LabNode, pki: Pki): string {
  const d = join(paths.nodeDir(node.name), 'kubelet');
  return `apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
cgroupDriver: cgroupfs
cgroupRoot: /${nodeCgroupName(node)}
cgroupsPerQOS: true
enforceNodeAllocatable: [pods]
clusterDNS: [${NET.dnsServiceIp}]
clusterDomain: ${NET.clusterDomain}
resolvConf: ${join(paths.state, 'resolv.conf')}
failSwapOn: false
address: ${node.ip}
readOnlyPort: 0
healthzBindAddress: 127.0.0.1
healthzPort: 10248
authentication:
  anonymous: {enabled: false}
  webhook: {enabled: true}
  x509: {clientCAFile: ${pki.caCert}}
authorization:
  mode: Webhook
# The lab cannot pull: never let image GC remove an image, never evict for a full disk.
imageGCHighThresholdPercent: 100
imageGCLowThresholdPercent: 99
evictionHard: {memory.available: 100Mi, nodefs.available: 1%, imagefs.available: 1%, nodefs.inodesFree: 1%}
serializeImagePulls: false
protectKernelDefaults: false
makeIPTablesUtilChains: true
staticPodPath: ${d}/manifests
`;
}

export function startKubelet(
  rec: StateRecorder,
  paths: LabPaths,
  node: LabNode,
  holder: number,
  pki: Pki,
  kubeconfig: string,
): number {
  const d = join(paths.nodeDir(node.name), 'kubelet');
  mkdirSync(join(d, 'manifests'), { recursive: true });
  mkdirSync(join(d, 'root'), { recursive: true });
  writeFileSync(join(d, 'config.yaml'), kubeletConfig(paths, node, pki));
  const pid = spawnDaemon(
    nodeExec(holder)[0]!,
    [
      ...nodeExec(holder).slice(1),
      join(paths.k8sBin, 'kubelet'),
      `--config=${join(d, 'config.yaml')}`,
      `--kubeconfig=${kubeconfig}`,
      `--container-runtime-endpoint=unix://${containerdSocket(paths, node)}`,
      `--node-ip=${node.ip}`,
      `--hostname-override=${node.name}`,
      `--root-dir=${join(d, 'root')}`,
      `--cert-dir=${join(d, 'pki')}`,
      '--v=1',
    ],
    join(paths.logs, `${node.name}-kubelet.log`),
  );
  rec.update((s) => s.processes.push({ name: `${node.name}/kubelet`, pid, node: node.name }));
  return pid;
}

/**
 * A public image reference as containerd stores it: Docker Hub names get their registry
 * (`docker.io/`) and official images their `library/` prefix, as the kubelet asks for them.
 */
export function containerdReference(image: string): string {
  const first = image.split('/', 1)[0] ?? '';
  const hasRegistry =
    image.includes('/') && (first.includes('.') || first.includes(':') || first === 'localhost');
  if (hasRegistry) return image;
  return `docker.io/${image.includes('/') ? image : `library/${image}`}`;
}

/**
 * Gives an imported image a second name in a node's containerd, so pods that ask for a public
 * image (netdoctor's default agent image) find the lab's own build of it without a registry.
 */
export function tagImage(paths: LabPaths, node: LabNode, from: string, to: string): void {
  const address = containerdSocket(paths, node);
  run('ctr', [
    '--address',
    address,
    '-n',
    'k8s.io',
    'images',
    'tag',
    '--force',
    from,
    containerdReference(to),
  ]);
}

/** Imports the lab's image archives into a node's containerd. */
export function importImages(paths: LabPaths, node: LabNode, archives: string[]): void {
  const address = containerdSocket(paths, node);
  for (const a of archives) {
    run('ctr', ['--address', address, '-n', 'k8s.io', 'images', 'import', a], { timeoutMs: 300_000 });
  }
}
