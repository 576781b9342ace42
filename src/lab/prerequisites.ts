/**
 * What `lab up` needs before it starts: Debian packages (installed idempotently with apt-get),
 * the built binaries and the image archives (built by lab/build.sh and lab/images.sh, cached
 * by version so only the first run pays).
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { NetdoctorError } from '../core/errors.ts';
import { LAB_SOURCE_DIR, type LabPaths } from './paths.ts';
import { tryRun } from './shell.ts';
import type { LabVersions } from './versions.ts';

/** Command -> the Debian package that provides it. */
export const DEBIAN_NEEDS: ReadonlyArray<readonly [string, string]> = [
  ['containerd', 'containerd'],
  ['runc', 'runc'],
  ['etcd', 'etcd-server'],
  ['iptables', 'iptables'],
  ['nft', 'nftables'],
  ['ip', 'iproute2'],
  ['tcpdump', 'tcpdump'],
  ['busybox', 'busybox-static'],
  ['dnsmasq', 'dnsmasq-base'],
  ['conntrack', 'conntrack'],
  ['ipset', 'ipset'],
  ['dig', 'bind9-dnsutils'],
  ['curl', 'curl'],
  ['openssl', 'openssl'],
  ['iperf3', 'iperf3'],
  ['nsenter', 'util-linux'],
];

function has(cmd: string): boolean {
  return tryRun('sh', ['-c', `command -v ${cmd}`]).code === 0;
}

export function ensureDebianPackages(log: (m: string) => void): void {
  const missing = DEBIAN_NEEDS.filter(([cmd]) => !has(cmd)).map(([, pkg]) => pkg);
  if (!existsSync('/usr/lib/cni/bridge')) missing.push('containernetworking-plugins');
  if (missing.length === 0) return;
  log(`installing Debian packages: ${missing.join(' ')}`);
  for (const args of [
    ['update', '-q'],
    ['install', '-y', '-q', '--no-install-recommends', ...new Set(missing)],
  ]) {
    const r = spawnSync('apt-get', args, {
      stdio: 'inherit',
      env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
    });
    if (r.status !== 0) throw new NetdoctorError('lab', `apt-get ${args[0]} failed`);
  }
}

export const BINARIES = (paths: LabPaths, v: LabVersions): string[] => [
  ...['kube-apiserver', 'kube-controller-manager', 'kube-scheduler', 'kubelet', 'kube-proxy', 'kubectl'].map(
    (b) => join(paths.k8sBin, b),
  ),
  join(paths.cache, 'bin', `flannel-${v.FLANNEL_VERSION}`, 'flanneld'),
  join(paths.cache, 'bin', `flannel-cni-${v.FLANNEL_CNI_PLUGINS_VERSION}`, 'flannel'),
  join(paths.cache, 'bin', `coredns-${v.COREDNS_VERSION}`, 'coredns'),
  join(paths.cache, 'bin', `kube-router-${v.KUBE_ROUTER_VERSION}`, 'kube-router'),
  join(paths.cache, 'bin', `pause-${v.PAUSE_VERSION}`, 'pause'),
];

export const IMAGE_ARCHIVES = (paths: LabPaths, v: LabVersions): string[] => [
  join(paths.images, `pause_${v.PAUSE_VERSION}.tar`),
  join(paths.images, `flannel_${v.FLANNEL_VERSION}.tar`),
  join(paths.images, `kube-proxy_${v.K8S_VERSION}.tar`),
  join(paths.images, `coredns_${v.COREDNS_VERSION}.tar`),
  join(paths.images, `kube-router_${v.KUBE_ROUTER_VERSION}.tar`),
  join(paths.images, `toolbox_${v.TOOLBOX_VERSION}.tar`),
];

function runScript(script: string, paths: LabPaths): void {
  const r = spawnSync('bash', [join(LAB_SOURCE_DIR, script)], {
    stdio: 'inherit',
    env: { ...process.env, NETDOCTOR_LAB_CACHE: paths.cache },
  });
  if (r.status !== 0)
    throw new NetdoctorError('lab', `lab/${script} failed`, {
      suggestions: [`see the output above; rerun lab/${script}`],
    });
}

/** Builds whatever is missing; a warm cache makes this a few stat calls. */
export function ensureBuilt(paths: LabPaths, v: LabVersions, log: (m: string) => void): void {
  if (BINARIES(paths, v).some((b) => !existsSync(b))) {
    log('building binaries (lab/build.sh; a cold build takes a long time)');
    runScript('build.sh', paths);
  }
  if (IMAGE_ARCHIVES(paths, v).some((a) => !existsSync(a))) {
    log('assembling images (lab/images.sh)');
    runScript('images.sh', paths);
  }
}
