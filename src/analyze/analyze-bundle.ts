/**
 * Analysis of a bundle on disk, streamed: the cluster objects are read first, then each node's
 * files are read, parsed and analyzed one node at a time (with a small read-ahead), so memory
 * stays flat however many nodes the bundle holds. What `analyze`, `demo` and the benchmark use.
 */
import { readBundleStream, type StreamOptions } from '../collect/bundle/read.ts';
import type { Report } from '../core/model.ts';
import { type AnalyzeOptions, analyzeStream } from './engine.ts';

/** Reads and analyzes the bundle at `path` (directory or .tar.gz) without holding every node at once. */
export async function analyzeBundle(
  path: string,
  opts: AnalyzeOptions & StreamOptions = {},
): Promise<Report> {
  const stream = await readBundleStream(path, opts);
  try {
    return await analyzeStream(stream.snapshot, stream.nodes, stream.nodeNames, opts);
  } finally {
    await stream.close();
  }
}
