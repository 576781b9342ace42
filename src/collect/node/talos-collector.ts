/**
 * `--node-access talos`: read Talos nodes through talosctl, which has no shell to run the node
 * script in. Routes, links and addresses come from `talosctl get ... -o json` (mapped onto the
 * bundle layout by talos-mapping.ts); subnet.env, resolv.conf and the sysctls from `talosctl
 * read`. Everything else (iptables, nft, FDB, neighbours, CNI config) is a gap that says why.
 */
import type { K8sNode } from '../../core/cluster-types.ts';
import { mapLimit } from '../../core/concurrency.ts';
import type { Gap } from '../../core/model.ts';
import type { BundleNodeInput } from '../bundle/types.ts';
import { combineOutcomes, type NodeCollection, type NodeOutcome, nodeGap } from './node-collection.ts';
import { SYSCTL_KEYS } from './node-script.ts';
import { type CommandResult, runCommand } from './run-command.ts';
import { parseTalosJsonStream, talosLinksToIpJson, talosRoutesToIpJson } from './talos-mapping.ts';

/** Parts talosctl cannot give: a gap each, so they never read as empty. */
export const TALOS_UNSUPPORTED = [
  'neighbors',
  'fdb',
  'iptablesLegacy',
  'iptablesNft',
  'nftRuleset',
  'modules',
] as const;

export interface TalosOptions {
  talosctl?: string[];
  timeoutMs: number;
  concurrency?: number;
}

function internalIp(n: K8sNode): string | undefined {
  return (n.status.addresses ?? []).find((a) => a.type === 'InternalIP')?.address;
}

/** Runs talosctl for one node and assembles its files. */
async function collectTalosNode(node: K8sNode, opts: TalosOptions): Promise<NodeOutcome> {
  const name = node.metadata.name;
  const ip = internalIp(node);
  if (!ip)
    return {
      node: name,
      status: 'failed',
      gap: nodeGap(name, 'node/talos', 'not-found', 'node has no InternalIP'),
    };
  const talosctl = opts.talosctl ?? ['talosctl'];
  const talos = (args: string[]) =>
    runCommand([...talosctl, '-n', ip, ...args], { timeoutMs: opts.timeoutMs });
  const [routes, links, addrs] = await Promise.all([
    talos(['get', 'routes', '-o', 'json']),
    talos(['get', 'links', '-o', 'json']),
    talos(['get', 'addresses', '-o', 'json']),
  ]);
  if (routes.status === 'spawn-error') {
    return {
      node: name,
      status: 'failed',
      gap: nodeGap(name, 'node/talos', 'unsupported', `cannot run talosctl: ${routes.error}`),
    };
  }
  const files: BundleNodeInput['files'] = {};
  const gaps: Gap[] = [];
  const fail = (what: string, r: CommandResult): void => {
    const detail =
      r.status === 'spawn-error'
        ? r.error
        : r.status === 'timeout'
          ? `no answer within ${opts.timeoutMs} ms`
          : (r.stderr.trim().split('\n')[0] ?? '');
    gaps.push(nodeGap(name, `node/talos/${what}`, r.status === 'timeout' ? 'timeout' : 'error', detail));
  };
  try {
    if (routes.status === 'exited' && routes.code === 0)
      files.routes = talosRoutesToIpJson(parseTalosJsonStream(routes.stdout));
    else fail('routes', routes);
    if (links.status === 'exited' && links.code === 0) {
      const a = addrs.status === 'exited' && addrs.code === 0 ? parseTalosJsonStream(addrs.stdout) : [];
      if (a.length === 0) fail('addresses', addrs);
      files.links = talosLinksToIpJson(parseTalosJsonStream(links.stdout), a);
    } else fail('links', links);
  } catch (err) {
    gaps.push(nodeGap(name, 'node/talos', 'parse-error', err instanceof Error ? err.message : String(err)));
  }

  const reads = await Promise.all([
    talos(['read', '/run/flannel/subnet.env']),
    talos(['read', '/etc/resolv.conf']),
    ...SYSCTL_KEYS.map((k) => talos(['read', `/proc/sys/${k.replaceAll('.', '/')}`])),
  ]);
  const [env, resolv, ...sysctls] = reads;
  if (env?.status === 'exited' && env.code === 0) files.flannelSubnetEnv = env.stdout;
  else if (env) fail('flannelSubnetEnv', env);
  if (resolv?.status === 'exited' && resolv.code === 0) files.resolvConf = resolv.stdout;
  else if (resolv) fail('resolvConf', resolv);
  const sysctlLines = SYSCTL_KEYS.flatMap((k, i) => {
    const r = sysctls[i];
    return r?.status === 'exited' && r.code === 0 ? [`${k} = ${r.stdout.trim()}`] : [];
  });
  if (sysctlLines.length > 0) files.sysctls = `${sysctlLines.join('\n')}\n`;
  else gaps.push(nodeGap(name, 'node/talos/sysctls', 'error', 'talosctl read of /proc/sys failed'));

  for (const key of TALOS_UNSUPPORTED) {
    gaps.push(
      nodeGap(
        name,
        `node/talos/${key}`,
        'unsupported',
        'talosctl has no read-only view of this; use agent pods',
      ),
    );
  }
  gaps.push(nodeGap(name, 'node/talos/cni', 'unsupported', 'CNI config files are not read through talosctl'));
  if (Object.keys(files).length === 0) {
    return {
      node: name,
      status: 'failed',
      gap: nodeGap(name, 'node/talos', 'error', gaps.map((g) => g.detail).join('; ')),
    };
  }
  return { node: name, status: 'collected', input: { files, cniFiles: [] }, gaps };
}

export async function collectNodesWithTalos(
  nodes: readonly K8sNode[],
  opts: TalosOptions,
): Promise<NodeCollection> {
  const outcomes = await mapLimit(nodes, opts.concurrency ?? 8, (n) => collectTalosNode(n, opts));
  return combineOutcomes(outcomes);
}
