/**
 * A minimal ustar writer for hostile-archive tests: it writes exactly the entries it is given
 * (symbolic links, hard links, FIFOs, devices, `..` paths, duplicate names, gigabytes of zeros)
 * straight into a gzip stream on disk, so a test can build an archive bomb without ever holding
 * or writing its expanded form. A tar tool would need each of these to exist on disk first
 * (and refuses `..` and absolute names).
 */
import { randomFillSync } from 'node:crypto';
import { once } from 'node:events';
import { createWriteStream } from 'node:fs';
import { createGzip } from 'node:zlib';

/**
 * One archive member. `data` is its body; `zeros` a body of that many zero bytes, streamed, with
 * `noise` random bytes at the start of each MiB (zeros alone compress 1,000 times; noise brings
 * the ratio down to what a less naive bomb would use).
 */
export type TarMember =
  | { type: 'file'; path: string; data?: string | Buffer; zeros?: number; noise?: number }
  | { type: 'dir'; path: string }
  | { type: 'symlink'; path: string; target: string }
  | { type: 'hardlink'; path: string; target: string }
  | { type: 'fifo'; path: string }
  | { type: 'chardev'; path: string };

const TYPEFLAG: Record<TarMember['type'], string> = {
  file: '0',
  hardlink: '1',
  symlink: '2',
  chardev: '3',
  dir: '5',
  fifo: '6',
};

function octal(n: number, width: number): string {
  return `${n.toString(8).padStart(width - 1, '0')}\0`;
}

/** The 512-byte ustar header of `m` with a body of `size` bytes. */
export function tarHeader(m: TarMember, size: number): Buffer {
  const h = Buffer.alloc(512);
  const put = (text: string, offset: number, width: number): void => {
    h.write(text.slice(0, width), offset, width, 'utf8');
  };
  let name = m.path;
  let prefix = '';
  if (Buffer.byteLength(name) > 100) {
    const cut = name.lastIndexOf('/');
    prefix = name.slice(0, cut);
    name = name.slice(cut + 1);
  }
  put(name, 0, 100);
  put(octal(m.type === 'dir' ? 0o755 : 0o644, 8), 100, 8);
  put(octal(0, 8), 108, 8);
  put(octal(0, 8), 116, 8);
  put(octal(size, 12), 124, 12);
  put(octal(1_700_000_000, 12), 136, 12);
  put('        ', 148, 8);
  put(TYPEFLAG[m.type], 156, 1);
  if (m.type === 'symlink' || m.type === 'hardlink') put(m.target, 157, 100);
  put('ustar\0', 257, 6);
  put('00', 263, 2);
  put(prefix, 345, 155);
  let sum = 0;
  for (const b of h) sum += b;
  put(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 8);
  return h;
}

/**
 * Writes `members` (an iterable, so a generator can describe 200,000 entries lazily) as a
 * .tar.gz at `file` (gzip `level` 1 by default: fast to write, and bombs stay small). Returns
 * the compressed size in bytes.
 */
export async function writeTarGz(file: string, members: Iterable<TarMember>, level = 1): Promise<number> {
  const gz = createGzip({ level });
  const out = createWriteStream(file);
  gz.pipe(out);
  // Small pieces (headers, short bodies) are gathered into 1 MiB writes: 200,000 members
  // written one await at a time would take most of a test's time.
  let batch: Buffer[] = [];
  let batched = 0;
  const flush = async (): Promise<void> => {
    if (batched === 0) return;
    const chunk = Buffer.concat(batch);
    batch = [];
    batched = 0;
    if (!gz.write(chunk)) await once(gz, 'drain');
  };
  const write = async (chunk: Buffer): Promise<void> => {
    batch.push(chunk);
    batched += chunk.length;
    if (batched >= 1024 * 1024) await flush();
  };
  const zeroChunk = Buffer.alloc(1024 * 1024);
  for (const m of members) {
    if (m.type !== 'file') {
      await write(tarHeader(m, 0));
      continue;
    }
    const body = m.data === undefined ? undefined : Buffer.from(m.data);
    const size = body?.length ?? m.zeros ?? 0;
    await write(tarHeader(m, size));
    if (body) await write(body);
    else {
      for (let left = size; left > 0; left -= zeroChunk.length) {
        const chunk = Buffer.from(left >= zeroChunk.length ? zeroChunk : zeroChunk.subarray(0, left));
        if (m.noise) randomFillSync(chunk, 0, Math.min(m.noise, chunk.length));
        await write(chunk);
      }
    }
    const pad = (512 - (size % 512)) % 512;
    if (pad > 0) await write(Buffer.alloc(pad));
  }
  await write(Buffer.alloc(1024));
  await flush();
  gz.end();
  await once(out, 'close');
  return out.bytesWritten;
}
