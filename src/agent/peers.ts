/**
 * Which peer agents one agent probes in a round. The peers rotate with the same circulant
 * schedule as `diagnose`'s bounded fan-out (probe/fan-out.ts), so every ordered pair of nodes is
 * probed within ⌈(n−1)/k⌉ rounds and every agent sends and receives k probes per round.
 */
import { peerIndexes, roundCount } from '../probe/fan-out.ts';

/** Another node's agent: its node name and the address its agent answers on. */
export interface AgentPeer {
  node: string;
  ip: string;
}

/**
 * The peers `self` probes in `round`, out of all agents (self included or not). Agents sort by
 * node name so every agent computes the same schedule without talking to the others.
 */
export function peersThisRound(
  self: string,
  agents: readonly AgentPeer[],
  k: number,
  round: number,
): AgentPeer[] {
  const all = [...new Map([...agents, { node: self, ip: '' }].map((a) => [a.node, a])).values()].sort(
    (a, b) => (a.node < b.node ? -1 : a.node > b.node ? 1 : 0),
  );
  const me = all.findIndex((a) => a.node === self);
  // fullMeshLimit 0: always the rotation; with n−1 ≤ k a single round already covers everyone.
  const mine = peerIndexes(all.length, k, 0, round)[me] ?? [];
  return mine.map((j) => all[j]).filter((p): p is AgentPeer => p !== undefined && p.node !== self);
}

/** Rounds until every pair is covered: what the dashboard waits before calling a pair unseen. */
export function roundsToCover(agents: number, k: number): number {
  return roundCount(agents, k, 0);
}
