/**
 * Services' selectors against the pods they should match: which Services have a selector to
 * judge, and the pods whose labels miss it by one mistyped key or value. The Service rules
 * report these near-misses; the fix-service-selector repair corrects the selector with them.
 */
import type { K8sPod, K8sService } from '../core/cluster-types.ts';
import type { SnapshotIndex } from './snapshot-index.ts';

/** At most this many pods of a namespace are compared when looking for a near-miss. */
const NEAR_MISS_SCAN = 20_000;

/** Levenshtein distance between two label keys or values. */
export function editDistance(a: string, b: string): number {
  if (a === b) return 0;
  let prev = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      cur.push(Math.min((prev[j] as number) + 1, (cur[j - 1] as number) + 1, (prev[j - 1] as number) + cost));
    }
    prev = cur;
  }
  return prev[b.length] as number;
}

function close(a: string, b: string): number | undefined {
  const d = editDistance(a, b);
  return d <= Math.max(2, Math.floor(Math.max(a.length, b.length) / 4)) ? d : undefined;
}

/** A pod whose labels miss the selector by exactly one value or one key, spelled nearly alike. */
export interface NearMiss {
  pod: K8sPod;
  /** e.g. `app: webfrontend (selector wants app: web-frontend)`. */
  difference: string;
  distance: number;
  /**
   * The one selector entry that would match the pod: its value (`app: wbe` wants `web`) or its
   * key (`ap: web` wants `app`) spelled as the pod spells it.
   */
  correction:
    | { part: 'value'; key: string; from: string; to: string }
    | { part: 'key'; from: string; to: string; value: string };
}

/**
 * Every near-miss among `pods`, one per distinct label set (replicas of one workload count
 * once), in pod order. At most NEAR_MISS_SCAN pods are compared.
 */
export function nearMisses(sel: Record<string, string>, pods: readonly K8sPod[]): NearMiss[] {
  const entries = Object.entries(sel);
  const out: NearMiss[] = [];
  const seen = new Set<string>();
  for (let i = 0; i < pods.length && i < NEAR_MISS_SCAN; i++) {
    const pod = pods[i] as K8sPod;
    const labels = pod.metadata.labels ?? {};
    const misses = entries.filter(([k, v]) => labels[k] !== v);
    if (misses.length !== 1) continue;
    const [key, want] = misses[0] as [string, string];
    const sig = JSON.stringify(labels);
    if (seen.has(sig)) continue;
    seen.add(sig);
    let cand: NearMiss | undefined;
    const have = labels[key];
    if (have !== undefined) {
      const d = close(have, want);
      if (d !== undefined)
        cand = {
          pod,
          distance: d,
          difference: `${key}: ${have} (selector wants ${key}: ${want})`,
          correction: { part: 'value', key, from: want, to: have },
        };
    } else {
      for (const [k, v] of Object.entries(labels)) {
        if (v !== want || sel[k] !== undefined) continue;
        const d = close(k, key);
        if (d !== undefined && (!cand || d < cand.distance)) {
          cand = {
            pod,
            distance: d,
            difference: `${k}: ${v} (selector wants ${key}: ${want})`,
            correction: { part: 'key', from: key, to: k, value: want },
          };
        }
      }
    }
    if (cand) out.push(cand);
  }
  return out;
}

/** The closest near-miss in the namespace (the first of the closest), if any. */
export function findNearMiss(
  sel: Record<string, string>,
  namespace: string,
  index: SnapshotIndex,
): NearMiss | undefined {
  let best: NearMiss | undefined;
  for (const cand of nearMisses(sel, index.podsByNamespace.get(namespace) ?? [])) {
    if (!best || cand.distance < best.distance) best = cand;
  }
  return best;
}

/** Services whose selectors these rules judge: a non-empty selector, not ExternalName. */
export function selectorServices(services: readonly K8sService[]): K8sService[] {
  return services.filter(
    (s) => s.spec.type !== 'ExternalName' && s.spec.selector && Object.keys(s.spec.selector).length > 0,
  );
}
