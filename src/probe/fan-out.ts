/**
 * Bounded fan-out for pod-to-pod probes on large clusters.
 *
 * Up to `fullMeshLimit` nodes every node probes every other node in one run. Above it, nodes are
 * sorted by name and numbered 0..n-1; run `round` r (taken modulo the round count) has node i
 * probe nodes (i + d) mod n for the offsets d in r*k+1 .. min(r*k+k, n-1). Over
 * `ceil((n-1)/k)` consecutive rounds every offset 1..n-1 occurs exactly once, so every ordered
 * pair (i, j) — offset (j-i) mod n — is probed exactly once. Because each round uses the same
 * offsets for every node (a circulant graph), every node sends and receives the same number of
 * probes in a round: no node is a hot spot, and a broken node shows up from k peers at once.
 */

/** Number of rounds needed to cover every ordered pair of `n` nodes with `k` peers per node. */
export function roundCount(n: number, k: number, fullMeshLimit: number): number {
  if (n <= 1) return 1;
  if (n <= fullMeshLimit) return 1;
  return Math.ceil((n - 1) / Math.max(1, k));
}

/** Offsets used in `round` (normalised modulo the round count). */
export function roundOffsets(n: number, k: number, fullMeshLimit: number, round: number): number[] {
  if (n <= 1) return [];
  if (n <= fullMeshLimit) return Array.from({ length: n - 1 }, (_, i) => i + 1);
  const step = Math.max(1, k);
  const rounds = roundCount(n, step, fullMeshLimit);
  const r = ((round % rounds) + rounds) % rounds;
  const out: number[] = [];
  for (let d = r * step + 1; d <= Math.min(r * step + step, n - 1); d++) out.push(d);
  return out;
}

/** For each node index, the peer indexes it probes in `round`. */
export function peerIndexes(n: number, k: number, fullMeshLimit: number, round: number): number[][] {
  const offsets = roundOffsets(n, k, fullMeshLimit, round);
  return Array.from({ length: n }, (_, i) => offsets.map((d) => (i + d) % n));
}
