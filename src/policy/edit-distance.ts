/**
 * Edit distance with adjacent transpositions counted as one edit (optimal string alignment),
 * since swapped letters are the commonest label typo. Capped: returns `max + 1` as soon as the
 * distance must exceed `max`.
 */
export function editDistance(a: string, b: string, max = 3): number {
  if (Math.abs(a.length - b.length) > max) return max + 1;
  let prev2: number[] = [];
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    let rowMin = i;
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let v = Math.min((prev[j] as number) + 1, (cur[j - 1] as number) + 1, (prev[j - 1] as number) + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) {
        v = Math.min(v, (prev2[j - 2] as number) + 1);
      }
      cur.push(v);
      if (v < rowMin) rowMin = v;
    }
    if (rowMin > max) return max + 1;
    prev2 = prev;
    prev = cur;
  }
  return prev[b.length] as number;
}

/**
 * Whether `actual` looks like what `wanted` meant: a small edit apart, relative to length, so
 * `fronted`/`frontend` and `wbe`/`web` qualify and `db`/`ui` does not.
 */
export function looksLikeTypo(wanted: string, actual: string): boolean {
  if (wanted === actual) return false;
  if (Math.min(wanted.length, actual.length) < 3) return false;
  const limit = Math.max(wanted.length, actual.length) >= 8 ? 2 : 1;
  return editDistance(wanted, actual, limit) <= limit;
}
