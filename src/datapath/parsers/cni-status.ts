import type { CniStatus } from '../../core/datapath-types.ts';

/**
 * Reads a node's `cni-status.txt`: the output of `calicoctl node status` or `cilium status`,
 * told apart by their own headings. Throws when the text is neither.
 */
export function parseCniStatus(text: string): CniStatus {
  if (/Calico process is (not )?running|IPv4 BGP status/.test(text))
    return { tool: 'calicoctl', output: text };
  if (/^\s*(KVStore|Cilium|Cilium health daemon|KubeProxyReplacement):\s/m.test(text))
    return { tool: 'cilium', output: text };
  throw new Error('cni-status.txt is neither `calicoctl node status` nor `cilium status` output');
}

/** One row of the IPv4/IPv6 BGP status table of `calicoctl node status`. */
export interface CalicoBgpPeer {
  address: string;
  type: string;
  state: string;
  since: string;
  info: string;
}

export interface CalicoNodeStatus {
  running: boolean;
  peers: CalicoBgpPeer[];
}

/** Parses `calicoctl node status`. */
export function parseCalicoNodeStatus(text: string): CalicoNodeStatus {
  const running = /Calico process is running/.test(text);
  const peers: CalicoBgpPeer[] = [];
  for (const line of text.split('\n')) {
    const t = line.trim();
    if (!t.startsWith('|')) continue;
    const cells = t
      .split('|')
      .slice(1, -1)
      .map((c) => c.trim());
    if (cells.length < 5 || cells[0] === 'PEER ADDRESS') continue;
    const [address, type, state, since, info] = cells as [string, string, string, string, string];
    peers.push({ address, type, state, since, info });
  }
  return { running, peers };
}

/** `cilium status`: each `Key: value` line, and the `Cluster health` reachable count. */
export interface CiliumStatus {
  fields: Record<string, string>;
  clusterHealth?: { reachable: number; total: number };
}

export function parseCiliumStatus(text: string): CiliumStatus {
  const fields: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const m = /^([A-Za-z][A-Za-z0-9 ._-]*?):\s+(.*)$/.exec(line.trim());
    if (m?.[1] && m[2] !== undefined && !(m[1] in fields)) fields[m[1]] = m[2].trim();
  }
  const out: CiliumStatus = { fields };
  const h = /^(\d+)\/(\d+) reachable/.exec(fields['Cluster health'] ?? '');
  if (h) out.clusterHealth = { reachable: Number(h[1]), total: Number(h[2]) };
  return out;
}
