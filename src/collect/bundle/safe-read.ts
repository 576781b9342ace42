/**
 * Reading a file of a bundle someone else made. Only regular files are read: a symbolic link
 * could point at /etc/passwd or /dev/zero, a FIFO would block the read forever, a device node
 * may act on being opened. Each is refused with a reason that names what it is, never what it
 * holds. Sizes are bounded by the bundle limits, so no file can grow memory without bound.
 *
 * Check and use are kept as close as the platform allows: the path is lstat-ed (so nothing
 * special is ever opened), then opened with O_NOFOLLOW|O_NONBLOCK (so a symlink or FIFO swapped
 * in after the lstat fails or does not block), and the open descriptor is fstat-ed again before
 * a byte is read. Directories on the way are lstat-ed once each and must be real directories.
 *
 * A file's calls are synchronous: a bundle is read from a local directory (an archive is
 * unpacked to one first), where each returns in microseconds, and the thread-pool round trips of
 * the asynchronous forms, five per file, cost more than the calls themselves (1.7 s of CPU, a
 * fifth of the reading, on the 50,000 files of a 5,000-node bundle). The price is paid on a
 * network file system, where files are then read one at a time.
 */
import { closeSync, constants, fstatSync, lstatSync, openSync, readSync, type Stats } from 'node:fs';
import { join } from 'node:path';
import { type BundleLimits, limitExceeded } from './limits.ts';

/** A file's text, or why it was not read. */
export type SafeReadResult =
  | { kind: 'text'; text: string; bytes: number }
  | { kind: 'refused'; reason: 'not-found' | 'not-regular'; detail: string };

const OPEN_FLAGS = constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK;

/**
 * Reads the regular files of one bundle directory under one set of limits. Bytes count toward
 * the total across every read of the same reader. A file over a limit throws the limit's
 * NetdoctorError (exit 2); anything else that is not a readable regular file is a refusal.
 */
export class SafeBundleReader {
  private totalBytes = 0;
  private readonly dirs = new Map<string, string | undefined>();
  private readonly root: string;
  private readonly limits: BundleLimits;
  /** How the bundle is named in messages: the archive, or the directory. */
  private readonly shownAs: string;

  constructor(root: string, limits: BundleLimits, shownAs: string) {
    this.root = root;
    this.limits = limits;
    this.shownAs = shownAs;
  }

  /** Reads `rel` (a safe bundle-relative path, `/`-separated). */
  async read(rel: string): Promise<SafeReadResult> {
    const parts = rel.split('/');
    for (let i = 1; i < parts.length; i++) {
      const problem = this.checkDir(parts.slice(0, i).join('/'));
      if (problem !== undefined) return { kind: 'refused', reason: 'not-regular', detail: problem };
    }
    const path = join(this.root, rel);
    let before: Stats;
    try {
      before = lstatSync(path);
    } catch (err) {
      return missingOr(err as NodeJS.ErrnoException, rel);
    }
    if (!before.isFile()) return refuse(rel, before);
    this.checkSize(rel, before.size);
    let fd: number;
    try {
      fd = openSync(path, OPEN_FLAGS);
    } catch (err) {
      const e = err as NodeJS.ErrnoException;
      if (e.code === 'ELOOP')
        return { kind: 'refused', reason: 'not-regular', detail: `${rel} is a symbolic link; not followed` };
      return missingOr(e, rel);
    }
    try {
      const st = fstatSync(fd);
      if (!st.isFile()) return refuse(rel, st);
      this.checkSize(rel, st.size);
      const buf = Buffer.allocUnsafe(st.size);
      let got = 0;
      // The size is fixed at fstat time: a file growing while it is read is cut there.
      while (got < st.size) {
        const n = readSync(fd, buf, got, st.size - got, got);
        if (n === 0) break;
        got += n;
      }
      this.totalBytes += got;
      if (this.totalBytes > this.limits.maxTotalBytes) {
        throw limitExceeded('maxTotalBytes', this.limits, this.shownAs, `reading ${rel}`);
      }
      return { kind: 'text', text: buf.toString('utf8', 0, got), bytes: got };
    } finally {
      try {
        closeSync(fd);
      } catch {}
    }
  }

  private checkSize(rel: string, size: number): void {
    if (size > this.limits.maxFileBytes) {
      throw limitExceeded('maxFileBytes', this.limits, this.shownAs, `${rel} is ${size} bytes`, size);
    }
  }

  /** Why the directory `rel` may not be entered, or undefined when it is a real directory. */
  private checkDir(rel: string): string | undefined {
    if (this.dirs.has(rel)) return this.dirs.get(rel);
    let problem: string | undefined;
    try {
      const st = lstatSync(join(this.root, rel));
      if (!st.isDirectory()) problem = `${rel} is ${describe(st)}, not a directory; not entered`;
    } catch {
      // Absent: the file's own lstat says not-found.
    }
    this.dirs.set(rel, problem);
    return problem;
  }
}

function missingOr(err: NodeJS.ErrnoException, rel: string): SafeReadResult {
  if (err.code === 'ENOENT' || err.code === 'ENOTDIR')
    return { kind: 'refused', reason: 'not-found', detail: `${rel} is absent` };
  return {
    kind: 'refused',
    reason: 'not-regular',
    detail: `${rel} cannot be opened (${err.code ?? 'error'})`,
  };
}

function refuse(rel: string, st: Stats): SafeReadResult {
  return {
    kind: 'refused',
    reason: 'not-regular',
    detail: `${rel} is ${describe(st)}, not a regular file; only regular files are read`,
  };
}

/** What kind of file `st` is, in words. */
export function describe(st: Stats): string {
  if (st.isSymbolicLink()) return 'a symbolic link';
  if (st.isFIFO()) return 'a FIFO';
  if (st.isCharacterDevice()) return 'a character device';
  if (st.isBlockDevice()) return 'a block device';
  if (st.isSocket()) return 'a socket';
  if (st.isDirectory()) return 'a directory';
  if (st.isFile()) return 'a regular file';
  return 'a special file';
}
