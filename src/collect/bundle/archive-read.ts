/**
 * Unpacking a bundle archive someone else made, within the bundle limits. The archive is read as
 * a stream twice at most: first until its manifest (netdoctor packs it first, so this is the
 * first member), then to extract exactly the regular files the manifest lists. Members it does
 * not list are skipped unwritten; links, FIFOs and devices are never created, and become gaps.
 * Every member counts toward the entry limit and every uncompressed byte toward the byte and
 * ratio limits, read or skipped, so a bomb stops where it crosses one, before it is written.
 *
 * The temporary directory is registered for cleanup the moment it exists, so SIGINT or SIGTERM
 * during extraction or analysis removes it too.
 */
import { close, constants, createReadStream, createWriteStream, open, read, type WriteStream } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { finished } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import { Parser, type ReadEntry } from 'tar';
import { registerCleanup } from '../../core/cleanup.ts';
import { NetdoctorError } from '../../core/errors.ts';
import { MANIFEST } from './layout.ts';
import { type BundleLimits, limitExceeded, RATIO_FLOOR_BYTES } from './limits.ts';
import { isPathSegment, isSafeRelativePath } from './log-paths.ts';
import { parseManifest } from './manifest.ts';

/** An unpacked archive: the bundle directory, what was refused in it, and how to remove it. */
export interface ExtractedArchive {
  dir: string;
  /** Listed paths that were not extracted, with why (a link, a device...), for gaps. */
  refused: Map<string, string>;
  close(): Promise<void>;
}

/** Tar's names for the member types that are plain file content. */
const REGULAR = new Set(['File', 'OldFile', 'ContiguousFile']);

/** What the reader needs of each member: its path inside the archive, type and declared size. */
type Visit = (entry: ReadEntry, path: string) => 'stop' | undefined;

/**
 * Unpacks the bundle `archive` into a new temporary directory within `limits`. Throws
 * NetdoctorError: `bundle-limit` when a limit is crossed, `bundle-malformed` when the archive
 * is not a readable tar (gzip or plain) or holds no manifest.
 */
export async function extractBundleArchive(archive: string, limits: BundleLimits): Promise<ExtractedArchive> {
  const target = await mkdtemp(join(tmpdir(), 'netdoctor-bundle-'));
  const state: WriteState = { target, aborted: false, streams: new Set() };
  const pending = new Set<Promise<unknown>>();
  let removed: Promise<void> | undefined;
  // Writes in flight are cut and settled first, so none can recreate a file after the removal.
  const remove = (): Promise<void> => {
    state.aborted = true;
    for (const s of state.streams) s.destroy();
    removed ??= Promise.allSettled(pending).then(() =>
      rm(target, { recursive: true, force: true, maxRetries: 10, retryDelay: 20 }),
    );
    return removed;
  };
  const unregister = registerCleanup(`temporary bundle directory ${target}`, remove);
  const closeAll = async (): Promise<void> => {
    unregister();
    await remove();
  };
  try {
    const found = await findManifest(archive, limits);
    const manifest = parseManifest(found.text, `${archive}:${MANIFEST}`);
    const listed = manifest.files?.map((f) => f.path).filter(isSafeRelativePath);
    if (listed !== undefined) {
      if (listed.length + 1 > limits.maxEntries) {
        throw limitExceeded(
          'maxEntries',
          limits,
          archive,
          `its manifest lists ${listed.length} files`,
          listed.length + 1,
        );
      }
      const declared = (manifest.files ?? []).reduce((sum, f) => sum + Math.max(0, f.bytes), 0);
      if (declared > limits.maxTotalBytes) {
        throw limitExceeded(
          'maxTotalBytes',
          limits,
          archive,
          `its manifest declares ${declared} bytes`,
          declared,
        );
      }
    }
    const wanted = listed === undefined ? undefined : new Set([...listed, MANIFEST]);
    const refused = new Map<string, string>();
    const written = new Set<string>();
    const failures: unknown[] = [];
    await walkArchive(archive, limits, (entry, path) => {
      if (!path.startsWith(found.root)) return skip(entry);
      const rel = path.slice(found.root.length);
      if (!isSafeRelativePath(rel) || (wanted !== undefined && !wanted.has(rel))) return skip(entry);
      if (!REGULAR.has(entry.type)) {
        if (entry.type !== 'Directory' && wanted !== undefined)
          refused.set(rel, `${rel} is a ${entry.type} member of the archive; only regular files are read`);
        return skip(entry);
      }
      // A name given twice: the first copy is kept, later ones cannot replace it.
      if (written.has(rel) || state.aborted) return skip(entry);
      if (entry.size > limits.maxFileBytes) {
        throw limitExceeded('maxFileBytes', limits, archive, `${rel} is ${entry.size} bytes`, entry.size);
      }
      written.add(rel);
      const job = writeEntry(state, rel, entry).catch((err: unknown) => {
        failures.push(err);
      });
      pending.add(job);
      void job.finally(() => pending.delete(job));
      return undefined;
    });
    await Promise.all(pending);
    if (failures.length > 0) throw failures[0];
    return { dir: target, refused, close: closeAll };
  } catch (err) {
    await closeAll();
    if (err instanceof NetdoctorError) throw err;
    throw unreadable(archive, err);
  }
}

function skip(entry: ReadEntry): undefined {
  entry.resume();
  return undefined;
}

/** The temporary directory being written, and the writes in flight (cut on abort). */
interface WriteState {
  target: string;
  aborted: boolean;
  streams: Set<WriteStream>;
}

/**
 * Writes one member into the fresh temporary directory. It holds only directories and files
 * this function made, so no link can redirect the write; O_EXCL|O_NOFOLLOW make that explicit.
 */
async function writeEntry(state: WriteState, rel: string, entry: ReadEntry): Promise<void> {
  const path = join(state.target, rel);
  entry.pause();
  let fd: number;
  try {
    await mkdir(dirname(path), { recursive: true });
    if (state.aborted) throw new Error('extraction stopped');
    fd = await new Promise<number>((resolve, reject) => {
      open(
        path,
        constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW,
        0o600,
        (err, fd) => (err ? reject(err) : resolve(fd)),
      );
    });
  } catch (err) {
    // The parser waits for this member to drain; let it, so the walk can end and report.
    entry.resume();
    throw err;
  }
  const out = createWriteStream('', { fd });
  state.streams.add(out);
  try {
    if (state.aborted) {
      out.destroy();
      entry.resume();
      return;
    }
    entry.pipe(out);
    await finished(out).catch((err: unknown) => {
      // A failed write (a full disk) must not leave the parser waiting on this member.
      entry.unpipe(out);
      entry.resume();
      throw err;
    });
  } finally {
    state.streams.delete(out);
  }
}

/**
 * The text of the manifest inside `archive`, read within `limits`; throws as extraction would
 * when there is none. Used to tell a netdoctor archive from any other file of the same name.
 */
export async function readArchiveManifest(archive: string, limits: BundleLimits): Promise<string> {
  return (await findManifest(archive, limits)).text;
}

/** The manifest member: its directory prefix in the archive (`''` or `top/`) and its text. */
interface FoundManifest {
  root: string;
  text: string;
}

/** Reads the archive up to its manifest: at the top, or inside its single top folder. */
async function findManifest(archive: string, limits: BundleLimits): Promise<FoundManifest> {
  let found: FoundManifest | undefined;
  await walkArchive(archive, limits, (entry, path) => {
    const parts = path.split('/');
    const isManifest =
      REGULAR.has(entry.type) &&
      parts.at(-1) === MANIFEST &&
      (parts.length === 1 || (parts.length === 2 && isPathSegment(parts[0] as string)));
    if (!isManifest) return skip(entry);
    if (entry.size > limits.maxFileBytes) {
      throw limitExceeded('maxFileBytes', limits, archive, `${path} is ${entry.size} bytes`, entry.size);
    }
    const chunks: Buffer[] = [];
    entry.on('data', (c: Buffer) => chunks.push(c));
    entry.on('end', () => {
      found = {
        root: parts.length === 2 ? `${parts[0]}/` : '',
        text: Buffer.concat(chunks).toString('utf8'),
      };
    });
    return 'stop';
  });
  if (!found) {
    throw new NetdoctorError(
      'bundle-malformed',
      `${archive} holds no ${MANIFEST}: expected it at the top of the archive or inside its single top folder.`,
      {
        path: archive,
        suggestions: ['Create a bundle with `netdoctor diagnose`, then analyze its .tar.gz.'],
      },
    );
  }
  return found;
}

const GZIP_MAGIC = [0x1f, 0x8b];

/**
 * Streams the archive (gzip or plain tar) through tar's parser, counting members and bytes
 * against the limits, and calls `visit` for every member. `visit` must consume or skip the
 * member; 'stop' ends the walk once that member's data has arrived.
 */
async function walkArchive(archive: string, limits: BundleLimits, visit: Visit): Promise<void> {
  const gzipped = await startsWith(archive, GZIP_MAGIC);
  const file = createReadStream(archive, { highWaterMark: 256 * 1024 });
  const source = gzipped ? file.pipe(createGunzip()) : file;
  file.on('error', (err) => source.destroy(err));
  const parser = new Parser({ strict: true, brotli: false, zstd: false });
  let failure: unknown;
  let stop = false;
  let entries = 0;
  parser.on('error', (err: unknown) => {
    failure ??= err;
  });
  parser.on('abort', (err: unknown) => {
    failure ??= err;
  });
  parser.on('entry', (entry: ReadEntry) => {
    if (failure !== undefined || stop) {
      entry.resume();
      return;
    }
    entries++;
    if (entries > limits.maxEntries) {
      failure = limitExceeded('maxEntries', limits, archive, `member ${entries} reached`);
      entry.resume();
      return;
    }
    try {
      if (visit(entry, memberPath(entry.path)) === 'stop') {
        if (entry.emittedEnd) stop = true;
        else entry.on('end', () => (stop = true));
      }
    } catch (err) {
      failure = err;
      entry.resume();
    }
  });
  const drained = (): Promise<void> =>
    new Promise((resolve) => {
      const done = (): void => {
        parser.off('drain', done);
        parser.off('error', done);
        parser.off('abort', done);
        resolve();
      };
      parser.on('drain', done);
      parser.on('error', done);
      parser.on('abort', done);
    });
  let uncompressed = 0;
  let first = true;
  try {
    for await (const chunk of source as AsyncIterable<Buffer>) {
      if (first && gzipped && startsWithBytes(chunk, GZIP_MAGIC)) {
        throw malformed(archive, 'it is compressed twice (gzip inside gzip)');
      }
      first = false;
      uncompressed += chunk.length;
      if (uncompressed > limits.maxTotalBytes) {
        throw limitExceeded(
          'maxTotalBytes',
          limits,
          archive,
          `more than ${limits.maxTotalBytes} bytes unpacked`,
        );
      }
      if (gzipped && uncompressed > RATIO_FLOOR_BYTES) {
        const ratio = uncompressed / Math.max(1, file.bytesRead);
        if (ratio > limits.maxExpansionRatio) {
          throw limitExceeded(
            'maxExpansionRatio',
            limits,
            archive,
            `${uncompressed} bytes unpacked from ${file.bytesRead} (${Math.round(ratio)} times)`,
          );
        }
      }
      if (!parser.write(chunk)) await drained();
      if (failure !== undefined) throw failure;
      if (stop) return;
    }
    // Members still queued in the parser are visited before it ends.
    const ended = new Promise<void>((resolve) => {
      parser.once('end', resolve);
      parser.once('error', () => resolve());
      parser.once('abort', () => resolve());
    });
    parser.end();
    await ended;
    if (failure !== undefined) throw failure;
  } finally {
    file.destroy();
    source.destroy();
  }
}

/** A member's path as the reader compares it: no leading `./`, no trailing `/`. */
function memberPath(path: string): string {
  let p = path;
  while (p.startsWith('./')) p = p.slice(2);
  while (p.endsWith('/')) p = p.slice(0, -1);
  return p;
}

function startsWithBytes(chunk: Buffer, magic: readonly number[]): boolean {
  return magic.every((b, i) => chunk[i] === b);
}

async function startsWith(path: string, magic: readonly number[]): Promise<boolean> {
  const fd = await new Promise<number>((resolve, reject) =>
    open(path, constants.O_RDONLY | constants.O_NONBLOCK, (err, fd) => (err ? reject(err) : resolve(fd))),
  );
  try {
    const buf = Buffer.alloc(magic.length);
    const n = await new Promise<number>((resolve, reject) =>
      read(fd, buf, 0, buf.length, 0, (err, n) => (err ? reject(err) : resolve(n))),
    );
    return n === magic.length && startsWithBytes(buf, magic);
  } finally {
    await new Promise<void>((resolve) => close(fd, () => resolve()));
  }
}

function malformed(archive: string, why: string): NetdoctorError {
  return new NetdoctorError('bundle-malformed', `${archive} is not a readable .tar.gz bundle: ${why}`, {
    path: archive,
  });
}

function unreadable(archive: string, err: unknown): NetdoctorError {
  return new NetdoctorError(
    'bundle-malformed',
    `${archive} is not a readable .tar.gz bundle: ${err instanceof Error ? err.message : String(err)}`,
    {
      path: archive,
      cause: err,
      suggestions: [
        'The archive may be truncated (an interrupted copy or download); copy it again.',
        `Check it with: tar -tzf ${archive}`,
      ],
    },
  );
}
