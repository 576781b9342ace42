/**
 * Content-addressed iptables chains. On a cluster of thousands of nodes almost all of each node's
 * iptables-save is kube-proxy's Service chains, the same text on every node (5 MB a node at 5,000
 * Services). The writer stores those chains once per distinct content under `shared/iptables/`,
 * named by the SHA-256 of their text, and the node's file keeps its own chains plus one comment
 * line naming the shared file. The node file stays a valid iptables-save dump (iptables-restore
 * and people skip comments), and a bundle without shared files reads exactly as before.
 *
 * Nothing is merged on trust: two nodes share a file only when their chains' text is byte for
 * byte the same, and the reader checks the hash of what it reads against the name.
 */
import { createHash } from 'node:crypto';
import { isClusterWideProxyChain } from '../../datapath/kube-proxy-chains.ts';

/** The first line of a node file whose cluster-wide chains live in a shared file. */
export const SHARED_CHAINS_MARKER = '# netdoctor-shared-chains: ';

const SHARED_PATH = /^shared\/iptables\/([0-9a-f]{64})\.txt$/;

/** Where the shared chains with this SHA-256 (lowercase hex) are stored in a bundle. */
export function sharedChainsPath(sha256: string): string {
  return `shared/iptables/${sha256}.txt`;
}

/** SHA-256 of a text's UTF-8 bytes, lowercase hex. */
export function sha256Hex(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}

/** A node file split into its own chains and the shared ones. */
export interface SplitDump {
  /** The node's file as written: the marker line, then its own tables, chains and rules. */
  node: string;
  /** The cluster-wide chains of every table, as an iptables-save dump of their own. */
  shared: { path: string; sha256: string; text: string };
}

/**
 * Splits an iptables-save dump into the node's own chains and kube-proxy's cluster-wide ones.
 * Undefined when there is nothing to share, or when the text is not a well-formed dump (a table
 * cut short): that is stored whole, so the reader reports it exactly as collected.
 */
export function splitIptablesSave(text: string): SplitDump | undefined {
  if (text.startsWith(SHARED_CHAINS_MARKER)) return undefined;
  const node: string[] = [];
  const shared: string[] = [];
  let tableLine: string | undefined;
  let tableShared: string[] = [];
  for (const line of text.split('\n')) {
    const bare = line.endsWith('\r') ? line.slice(0, -1) : line;
    if (tableLine === undefined) {
      if (bare.startsWith('*')) {
        tableLine = bare;
        tableShared = [];
      }
      node.push(line);
      continue;
    }
    if (bare === 'COMMIT') {
      if (tableShared.length > 0) shared.push(tableLine, ...tableShared, 'COMMIT');
      tableLine = undefined;
      node.push(line);
      continue;
    }
    const chain = chainOf(bare);
    if (chain !== undefined && isClusterWideProxyChain(chain)) tableShared.push(bare);
    else node.push(line);
  }
  if (tableLine !== undefined || shared.length === 0) return undefined;
  const sharedText = `${shared.join('\n')}\n`;
  const sha256 = sha256Hex(sharedText);
  const path = sharedChainsPath(sha256);
  return {
    node: `${SHARED_CHAINS_MARKER}${path}\n${node.join('\n')}`,
    shared: { path, sha256, text: sharedText },
  };
}

/** The chain a `:CHAIN POLICY [counters]` or `-A CHAIN ...` line belongs to. */
function chainOf(line: string): string | undefined {
  if (line.startsWith(':')) {
    const sp = line.indexOf(' ');
    return sp > 1 ? line.slice(1, sp) : undefined;
  }
  if (line.startsWith('-A ')) {
    const sp = line.indexOf(' ', 3);
    return sp === -1 ? line.slice(3) : line.slice(3, sp);
  }
  return undefined;
}

/** What a node file's first line says about shared chains. */
export type SharedChainsRef =
  | { kind: 'none' }
  | { kind: 'ref'; path: string; sha256: string }
  | { kind: 'malformed'; detail: string };

/** Reads the marker line of a node file, if it has one. Only a path the writer makes is accepted. */
export function sharedChainsRef(text: string): SharedChainsRef {
  if (!text.startsWith(SHARED_CHAINS_MARKER)) return { kind: 'none' };
  const end = text.indexOf('\n');
  const path = text.slice(SHARED_CHAINS_MARKER.length, end === -1 ? undefined : end).trim();
  const m = SHARED_PATH.exec(path);
  if (!m) {
    return {
      kind: 'malformed',
      detail: `names ${JSON.stringify(path.slice(0, 120))} as its shared chains; expected shared/iptables/<sha256>.txt`,
    };
  }
  return { kind: 'ref', path, sha256: m[1] as string };
}
