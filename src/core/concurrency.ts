/**
 * Runs `fn` over `items` with at most `limit` calls in flight, keeping result order. Bundles
 * of large clusters hold tens of thousands of files and clusters answer thousands of list and
 * exec calls; unbounded Promise.all would exhaust file descriptors or the API server's patience,
 * one at a time would leave both idle.
 */
export async function mapLimit<T, R>(
  items: readonly T[],
  limit: number,
  fn: (item: T, index: number) => Promise<R>,
): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  async function worker(): Promise<void> {
    while (next < items.length) {
      const i = next++;
      results[i] = await fn(items[i] as T, i);
    }
  }
  const workers: Promise<void>[] = [];
  for (let w = 0; w < Math.min(limit, items.length); w++) workers.push(worker());
  await Promise.all(workers);
  return results;
}
