/**
 * Whole-file writes for bundles of tens of thousands of small files (reads go through
 * safe-read.ts). The callback form of fs.writeFile is used on purpose: fs/promises' version
 * makes several thread-pool round trips per file and measured about twice as slow on a
 * 50,000-file bundle.
 */
import { writeFile } from 'node:fs';

/** Writes a whole file (created or replaced). */
export function writeText(path: string, text: string): Promise<void> {
  return new Promise((resolve, reject) => {
    writeFile(path, text, (err) => (err ? reject(err) : resolve()));
  });
}
