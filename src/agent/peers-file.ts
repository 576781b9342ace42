/**
 * The peer list an agent reads each round from a file: one `NODE=IP` per line (`#` comments and
 * blank lines allowed). In the cluster it is a mounted ConfigMap that the kubelet keeps current,
 * so a thousand agents learn about a new node without a thousand API watches.
 */
import { readFile } from 'node:fs/promises';
import { isIPv4 } from 'node:net';
import type { AgentPeer } from './peers.ts';

/** The peers of a file's text, and the lines that are not `NODE=IP` (reported, never guessed). */
export function parsePeers(text: string): { peers: AgentPeer[]; bad: string[] } {
  const peers: AgentPeer[] = [];
  const bad: string[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const eq = line.indexOf('=');
    const node = line.slice(0, eq).trim();
    const ip = line.slice(eq + 1).trim();
    if (eq <= 0 || !/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/.test(node) || !isIPv4(ip))
      bad.push(line.slice(0, 200));
    else peers.push({ node, ip });
  }
  return { peers, bad };
}

/** Reads the file; a file that cannot be read keeps the peers of the last good read. */
export function peersFromFile(path: string, warn: (msg: string) => void): () => Promise<AgentPeer[]> {
  let last: AgentPeer[] = [];
  return async () => {
    try {
      const { peers, bad } = parsePeers(await readFile(path, 'utf8'));
      if (bad.length > 0)
        warn(`${path}: ${bad.length} line(s) not NODE=IP, ignored: ${bad.slice(0, 3).join(' | ')}`);
      last = peers;
    } catch (e) {
      warn(`${path}: ${e instanceof Error ? e.message : String(e)}; keeping the last ${last.length} peer(s)`);
    }
    return last;
  };
}

/** The file's text for a list of nodes (what the DaemonSet's ConfigMap holds). */
export function peersText(peers: readonly AgentPeer[]): string {
  return `${[...peers]
    .sort((a, b) => (a.node < b.node ? -1 : a.node > b.node ? 1 : 0))
    .map((p) => `${p.node}=${p.ip}`)
    .join('\n')}\n`;
}
