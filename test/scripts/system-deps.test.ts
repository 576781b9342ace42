/**
 * Keeps scripts/system-deps.tsv true: every command the code starts is on it (or is part of
 * every shell and Debian base system), every command on it is still used, the preflight names
 * what is missing, and netdoctor refuses an old Node.js before importing anything.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, it } from 'node:test';
import {
  BASE_COMMANDS,
  filesUnder,
  readSystemDeps,
  scanRepository,
  shellCommands,
  typescriptCommands,
} from './command-scan.ts';

const ROOT = resolve(import.meta.dirname, '../..');
const deps = readSystemDeps(ROOT);
const listed = new Set(
  deps.map((d) => (d.command.startsWith('/') ? (d.command.split('/').pop() ?? '') : d.command)),
);

describe('scripts/system-deps.tsv', () => {
  it('lists every command the code starts', () => {
    const unlisted = scanRepository(ROOT).filter(
      (u) => !BASE_COMMANDS.has(u.command) && !listed.has(u.command),
    );
    assert.deepEqual(
      unlisted.map((u) => `${u.command} (${u.file}:${u.line})`),
      [],
      'add each command with its Debian package to scripts/system-deps.tsv',
    );
  });

  it('names a Debian package (or "-") for every command, and lists no command the code no longer uses', () => {
    for (const d of deps) assert.match(d.pkg, /^([a-z0-9][a-z0-9.+-]+|-)$/, `package of ${d.command}`);
    const text = ['src', 'test', 'scripts', 'lab', 'bench']
      .flatMap((dir) =>
        filesUnder(join(ROOT, dir), (p) => /\.(ts|sh)$/.test(p) && !p.endsWith('command-scan.ts')),
      )
      .concat([join(ROOT, 'Makefile')])
      .map((f) => readFileSync(f, 'utf8'))
      .join('\n');
    // A file entry counts as used where its directory is named (/usr/lib/cni/bridge: /usr/lib/cni).
    const unused = deps
      .map((d) => (d.command.startsWith('/') ? d.command.slice(0, d.command.lastIndexOf('/')) : d.command))
      .filter((c) => !new RegExp(`(^|[^\\w-])${c.replace(/[.+]/g, '\\$&')}($|[^\\w-])`).test(text));
    assert.deepEqual(unused, []);
  });

  it('the scan sees a newly added spawn of an unlisted command, in TypeScript and in shell', () => {
    const ts = typescriptCommands(
      [
        "spawnSync('frobnicate', ['--all']);",
        "run(['zork', 'x']);",
        "exec('ip', 'netns', 'add', ns);",
        // biome-ignore lint/suspicious/noTemplateCurlyInString: TypeScript source, scanned as text
        'const s = sh(`quux -a ${x} && grep y | wibble`);',
        // biome-ignore lint/suspicious/noTemplateCurlyInString: TypeScript source, scanned as text
        "spawn('ip', ['netns', 'exec', ns, 'sh', '-c', `plugh --now; echo ${v}`]);",
        'const m = /x/.exec(line); run(rule, snapshot);',
      ].join('\n'),
      'new.ts',
    ).map((u) => u.command);
    assert.deepEqual(ts.sort(), [
      'echo',
      'frobnicate',
      'grep',
      'ip',
      'ip',
      'plugh',
      'quux',
      'wibble',
      'zork',
    ]);
    const sh = shellCommands(
      [
        'set -e',
        'for f in a b; do xyzzy "$f"; done',
        'want=(not commands here)',
        'x=$(fnord -q) || y=1',
        'echo "text (in quotes) is $(gronk) data"',
        'cat <<EOF',
        'heredoc words are data',
        'EOF',
        'helper() { local a; }',
        'helper 1',
        'case "$a" in',
        '  one | two) blorb ;;',
        'esac',
        'add_bin() { cp "$2" "$1"; }',
        'add_bin "$r" /usr/bin/snark',
      ].join('\n'),
    ).map((c) => c.command);
    assert.deepEqual(sh.sort(), [
      'blorb',
      'cat',
      'cp',
      'echo',
      'fnord',
      'gronk',
      'local',
      'set',
      'snark',
      'xyzzy',
    ]);
  });
});

describe('scripts/preflight.sh', () => {
  it('fails at once, naming each missing command and its package', () => {
    const dir = mkdtempSync(join(tmpdir(), 'nd-preflight-'));
    try {
      copyFileSync(join(ROOT, 'scripts', 'preflight.sh'), join(dir, 'preflight.sh'));
      writeFileSync(
        join(dir, 'system-deps.tsv'),
        '# test list\nsh\tdash\tshell\nnd-no-such-tool\tnd-pkg\ttests\n/nd/no/such/file\tnd-files\tlab\n',
      );
      const started = Date.now();
      const r = spawnSync('bash', [join(dir, 'preflight.sh')], { encoding: 'utf8' });
      assert.equal(r.status, 1);
      assert.ok(Date.now() - started < 10_000);
      assert.match(r.stderr, /nd-no-such-tool \(Debian package nd-pkg\)/);
      assert.match(r.stderr, /\/nd\/no\/such\/file \(Debian package nd-files\)/);
      assert.doesNotMatch(r.stderr, /\bsh \(/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('the Node.js version guard', () => {
  const main = readFileSync(join(ROOT, 'src', 'cli', 'main.ts'), 'utf8');

  it('asks for the version package.json engines names, and imports nothing first', () => {
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { engines: { node: string } };
    const want = /MIN_NODE_MAJOR = (\d+)/.exec(main)?.[1];
    assert.equal(`>=${want}`, pkg.engines.node);
    assert.doesNotMatch(main, /^import /m, 'a static import would run before the check');
  });

  // The machines carry an older system Node.js beside the Node 24 that set-up brings.
  const old = ['/usr/bin/node', '/usr/local/bin/node'].find((p) => {
    if (!existsSync(p)) return false;
    const v = spawnSync(p, ['-p', 'process.versions.node'], { encoding: 'utf8' }).stdout.trim();
    return Number(v.split('.')[0]) < 24;
  });
  const built = join(ROOT, 'dist', 'cli', 'main.js');
  it('an older Node.js gets one line and exit 2, no stack trace', {
    skip: !old ? 'no Node.js older than 24 on this machine' : !existsSync(built) ? 'dist/ not built' : false,
  }, () => {
    const r = spawnSync(old as string, [built, '--version'], { encoding: 'utf8' });
    assert.equal(r.status, 2);
    assert.equal(r.stdout, '');
    assert.match(r.stderr, /^netdoctor: needs Node\.js 24 or newer; this is Node\.js \d+\.\d+\.\d+\n$/);
  });
});
