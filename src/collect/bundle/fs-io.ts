/**
 * Whole-file reads and writes for bundles of tens of thousands of small files. The callback
 * forms of fs.readFile/writeFile are used on purpose: fs/promises' versions make several
 * thread-pool round trips per file and measured about twice as slow on a 50,000-file bundle.
 */
import { readFile, writeFile } from 'node:fs';

/** Reads a whole file as UTF-8. */
export function readText(path: string): Promise<string> {
  return new Promise((resolve, reject) => {
    readFile(path, 'utf8', (err, data) => (err ? reject(err) : resolve(data)));
  });
}

/** Writes a whole file (created or replaced). */
export function writeText(path: string, text: string): Promise<void> {
  return new Promise((resolve, reject) => {
    writeFile(path, text, (err) => (err ? reject(err) : resolve()));
  });
}
