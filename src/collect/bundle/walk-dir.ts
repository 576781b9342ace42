/**
 * Listing a directory bundle whose manifest does not list its files. The walk stops as soon as
 * it has seen more entries than the limit allows, so a directory of millions of files costs no
 * more than the limit to refuse. Symbolic links to directories are listed, never entered.
 */
import { opendir } from 'node:fs/promises';
import { join } from 'node:path';
import { type BundleLimits, limitExceeded } from './limits.ts';

/**
 * Every entry under `dir` but directories, bundle-relative and `/`-separated, in no particular
 * order. Links, FIFOs and devices are listed, so reading each becomes a gap saying what it is.
 */
export async function walkBundleDir(dir: string, limits: BundleLimits): Promise<string[]> {
  const out: string[] = [];
  let seen = 0;
  const pending = [''];
  for (let rel = pending.pop(); rel !== undefined; rel = pending.pop()) {
    for await (const e of await opendir(join(dir, rel))) {
      if (++seen > limits.maxEntries) {
        throw limitExceeded('maxEntries', limits, dir, `it holds more than ${limits.maxEntries} entries`);
      }
      const path = rel === '' ? e.name : `${rel}/${e.name}`;
      if (e.isDirectory()) pending.push(path);
      else out.push(path);
    }
  }
  return out;
}
