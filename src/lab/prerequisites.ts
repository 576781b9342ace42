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
import type { LabVersions } from './versions.ts';

/** The repository's scripts/ folder: the one list of system commands and its installer. */
const SCRIPTS_DIR = join(LAB_SOURCE_DIR, '..', 'scripts');

/**
 * Installs the Debian packages behind every command the lab runs, then checks them all
 * (scripts/install-system-deps.sh over scripts/system-deps.tsv, the same list `make test`
 * checks), so a missing tool stops `lab up` at once with its name and package.
 */
export function ensureDebianPackages(log: (m: string) => void): void {
  log('checking system commands (scripts/system-deps.tsv)');
  const r = spawnSync('bash', [join(SCRIPTS_DIR, 'install-system-deps.sh')], {
    stdio: ['ignore', 'inherit', 'inherit'],
    env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
  });
  if (r.status !== 0)
    throw new NetdoctorError('lab', 'the lab needs system commands this machine lacks (listed above)', {
      suggestions: ['run scripts/install-system-deps.sh as root'],
    });
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
  // Always: an archive built by an older recipe (a tool since added to the image) is rebuilt
  // under the same tag; a cached one costs a hash of its recipe.
  log(
    IMAGE_ARCHIVES(paths, v).some((a) => !existsSync(a))
      ? 'assembling images (lab/images.sh)'
      : 'checking images (lab/images.sh)',
  );
  runScript('images.sh', paths);
}
