/**
 * Peer discovery through cluster DNS: a headless Service over the agent pods (hostNetwork, so a
 * pod's address is its node's) answers with every agent's address, and each agent says which
 * node it is on at `/api/identity`. No agent reads the API: at 5,000 nodes, 5,000 agents listing
 * Nodes would move gigabytes through the API server every round, while one DNS answer is a few
 * tens of kilobytes. A name that does not resolve keeps the last good list (DNS itself may be
 * what is broken); an address whose agent does not answer yet is probed under its address.
 */
import { resolve4 } from 'node:dns/promises';
import { httpCall } from './http-call.ts';
import type { AgentPeer } from './peers.ts';

export interface DnsPeerOptions {
  name: string;
  port: number;
  timeoutMs: number;
  warn: (msg: string) => void;
  /** For tests: the resolver and the identity fetch. */
  resolve?: (name: string) => Promise<string[]>;
  identify?: (ip: string) => Promise<string | undefined>;
}

/** The node an agent at `ip` says it runs on, or undefined when it does not answer. */
export async function fetchIdentity(
  ip: string,
  port: number,
  timeoutMs: number,
): Promise<string | undefined> {
  try {
    const res = await httpCall(`http://${ip}:${port}/api/identity`, { timeoutMs, maxBytes: 4096 });
    if (res.status < 200 || res.status > 299) return undefined;
    const body = JSON.parse(res.text) as { node?: unknown };
    return typeof body.node === 'string' && /^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/.test(body.node)
      ? body.node
      : undefined;
  } catch {
    return undefined;
  }
}

export function peersFromDns(o: DnsPeerOptions): () => Promise<AgentPeer[]> {
  const resolveName = o.resolve ?? resolve4;
  const identify = o.identify ?? ((ip: string) => fetchIdentity(ip, o.port, o.timeoutMs));
  const names = new Map<string, string>();
  let last: AgentPeer[] = [];
  return async () => {
    let ips: string[];
    try {
      ips = [...new Set(await resolveName(o.name))].sort();
    } catch (e) {
      o.warn(
        `${o.name}: ${e instanceof Error ? e.message : String(e)}; keeping the last ${last.length} peer(s)`,
      );
      return last;
    }
    await Promise.all(
      ips
        .filter((ip) => !names.has(ip))
        .map(async (ip) => {
          const node = await identify(ip);
          if (node !== undefined) names.set(ip, node);
        }),
    );
    last = ips.map((ip) => ({ node: names.get(ip) ?? ip, ip }));
    return last;
  };
}
