/**
 * Directory bundles made by someone else: links, FIFOs and devices where files should be, and
 * files whose content has the wrong shape. Each must become a gap naming the path (never its
 * content), quickly, through the real CLI.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { cp, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { runCli } from '../support/run-cli.ts';

const FIXTURE = 'test/fixtures/bundles/two-node-flannel';

interface Gap {
  collector: string;
  reason: string;
  detail?: string;
}

function report(stdout: string): { gaps: Gap[]; findings: { id: string }[]; verdict: string } {
  return JSON.parse(stdout);
}

describe('a directory bundle with hostile entries', () => {
  let work: string;
  let n = 0;
  const copy = async (): Promise<string> => {
    const d = join(work, `b${++n}`);
    await cp(FIXTURE, d, { recursive: true });
    return d;
  };
  before(async () => {
    work = await mkdtemp(join(tmpdir(), 'ndt-hostile-dir-'));
  });
  after(async () => {
    if (work) await rm(work, { recursive: true, force: true });
  });

  it('a symlink to /etc/passwd is a gap naming the path; nothing of the target is read', async () => {
    const d = await copy();
    await rm(join(d, 'cluster/pods.json'));
    await symlink('/etc/passwd', join(d, 'cluster/pods.json'));
    const r = runCli(['analyze', d, '-o', 'json']);
    assert.ok(r.status === 0 || r.status === 1, r.stderr);
    const gap = report(r.stdout).gaps.find((g) => g.collector === 'cluster/pods.json');
    assert.match(gap?.detail ?? '', /symbolic link/);
    assert.doesNotMatch(r.stdout + r.stderr, /root:|\/bin\/(ba)?sh/);
  });

  it('a symlink to /dev/zero is a gap at once, with no memory growth', async () => {
    const d = await copy();
    await rm(join(d, 'cluster/events.json'));
    await symlink('/dev/zero', join(d, 'cluster/events.json'));
    const r = runCli(['analyze', d, '-o', 'json'], { timeoutMs: 30_000 });
    assert.equal(r.signal, null, 'analyze was killed at the time limit');
    assert.ok(r.status === 0 || r.status === 1, r.stderr);
    assert.match(
      report(r.stdout).gaps.find((g) => g.collector === 'cluster/events.json')?.detail ?? '',
      /symbolic link/,
    );
  });

  it('a FIFO does not block analyze: it is a gap naming the path', async () => {
    const d = await copy();
    await rm(join(d, 'nodes/node-1/sysctl.txt'));
    execFileSync('mkfifo', [join(d, 'nodes/node-1/sysctl.txt')]);
    const r = runCli(['analyze', d, '-o', 'json'], { timeoutMs: 30_000 });
    assert.equal(r.signal, null, 'analyze hung on the FIFO and was killed');
    assert.ok(r.status === 0 || r.status === 1, r.stderr);
    assert.match(
      report(r.stdout).gaps.find((g) => g.collector === 'nodes/node-1/sysctl.txt')?.detail ?? '',
      /FIFO/,
    );
  });

  it('a device node is never opened: it is a gap naming the path', async (t) => {
    const d = await copy();
    await rm(join(d, 'nodes/node-2/resolv.conf'));
    try {
      execFileSync('mknod', [join(d, 'nodes/node-2/resolv.conf'), 'c', '1', '5']); // like /dev/zero
    } catch {
      t.skip('mknod needs root');
      return;
    }
    const r = runCli(['analyze', d, '-o', 'json'], { timeoutMs: 30_000 });
    assert.equal(r.signal, null);
    assert.match(
      report(r.stdout).gaps.find((g) => g.collector === 'nodes/node-2/resolv.conf')?.detail ?? '',
      /character device/,
    );
  });

  it('a symlinked directory is not entered', async () => {
    const d = await copy();
    const outside = join(work, 'outside');
    await cp(join(d, 'nodes/node-2'), outside, { recursive: true });
    await writeFile(join(outside, 'resolv.conf'), 'nameserver 203.0.113.99\n');
    await rm(join(d, 'nodes/node-2'), { recursive: true });
    await symlink(outside, join(d, 'nodes/node-2'));
    const r = runCli(['analyze', d, '-o', 'json']);
    assert.ok(r.status === 0 || r.status === 1, r.stderr);
    const gap = report(r.stdout).gaps.find((g) => g.collector === 'nodes/node-2/resolv.conf');
    assert.match(gap?.detail ?? '', /nodes\/node-2 is a symbolic link, not a directory; not entered/);
    assert.doesNotMatch(r.stdout, /203\.0\.113\.99/);
  });

  it('pods.json items of the wrong type are a gap naming the file and the first error, not a crash', async () => {
    const d = await copy();
    await writeFile(join(d, 'cluster/pods.json'), '{"items":[1,"a",null]}');
    const r = runCli(['analyze', d, '-o', 'json']);
    assert.ok(r.status === 0 || r.status === 1, `exit ${r.status}: ${r.stderr}`);
    const gap = report(r.stdout).gaps.find((g) => g.collector === 'cluster/pods.json');
    assert.equal(gap?.reason, 'parse-error');
    assert.match(gap?.detail ?? '', /schema: \/items\/0: must be object/);
  });

  it('probe results holding null are a gap naming the file, not a crash', async () => {
    const d = await copy();
    await writeFile(join(d, 'probes/results.json'), '{"results":[null]}');
    const r = runCli(['analyze', d, '-o', 'json']);
    assert.ok(r.status === 0 || r.status === 1, `exit ${r.status}: ${r.stderr}`);
    const gap = report(r.stdout).gaps.find((g) => g.collector === 'probes/results.json');
    assert.match(gap?.detail ?? '', /schema: \/results\/0: must be object/);
  });

  it('a manifest without a file list: the walk lists links as gaps and stops at the entry limit', async () => {
    const d = await copy();
    const m = JSON.parse(await readFile(join(d, 'manifest.json'), 'utf8')) as Record<string, unknown>;
    delete m['files'];
    await writeFile(join(d, 'manifest.json'), JSON.stringify(m));
    await rm(join(d, 'nodes/node-1/resolv.conf'));
    await symlink('/etc/passwd', join(d, 'nodes/node-1/resolv.conf'));
    const r = runCli(['analyze', d, '-o', 'json']);
    assert.ok(r.status === 0 || r.status === 1, r.stderr);
    assert.match(
      report(r.stdout).gaps.find((g) => g.collector === 'nodes/node-1/resolv.conf')?.detail ?? '',
      /symbolic link/,
    );
    const capped = runCli(['analyze', d, '--max-bundle-entries', '10']);
    assert.equal(capped.status, 2, capped.stderr);
    assert.match(capped.stderr, /holds more than 10 entries/);
  });
});
