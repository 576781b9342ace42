/**
 * Network namespaces for tests and fixture capture: create uniquely named ones, run commands
 * inside them, destroy them. Every name starts with `ndt-dp-` so concurrent suites on the same
 * machine never collide, and a leftover namespace is easy to attribute.
 */
import { execFileSync } from 'node:child_process';

const PREFIX = 'ndt-dp-';
let counter = 0;

/** A fresh namespace name, unique per process: `ndt-dp-<tag>-<pid>-<n>`. */
export function uniqueNetnsName(tag: string): string {
  counter += 1;
  return `${PREFIX}${tag}-${process.pid}-${counter}`;
}

/** Runs a command on the host and returns its stdout; throws with stderr on failure. */
export function run(argv: readonly string[], input?: string): string {
  const [file, ...args] = argv;
  if (file === undefined) throw new Error('run: empty command');
  try {
    return execFileSync(file, args, {
      encoding: 'utf8',
      input: input ?? '',
      stdio: ['pipe', 'pipe', 'pipe'],
      maxBuffer: 256 * 1024 * 1024,
    });
  } catch (err) {
    const e = err as { stderr?: string; message: string };
    throw new Error(`${argv.join(' ')} failed: ${(e.stderr ?? '').trim() || e.message}`, { cause: err });
  }
}

/** Runs a command inside namespace `ns` (`ip netns exec`) and returns its stdout. */
export function nsExec(ns: string, argv: readonly string[], input?: string): string {
  return run(['ip', 'netns', 'exec', ns, ...argv], input);
}

/** Creates namespace `name` with its loopback up. */
export function createNetns(name: string): string {
  if (!name.startsWith(PREFIX)) throw new Error(`netns name must start with ${PREFIX}: ${name}`);
  run(['ip', 'netns', 'add', name]);
  run(['ip', '-n', name, 'link', 'set', 'lo', 'up']);
  return name;
}

/**
 * Deletes namespace `name` if it exists; devices inside it go with it (a veth's host-side peer
 * too). Never throws, so it is safe in `after` hooks and `finally` blocks.
 */
export function destroyNetns(name: string): void {
  if (!name.startsWith(PREFIX)) return;
  try {
    run(['ip', 'netns', 'del', name]);
  } catch {
    // Already gone, or never created: nothing to clean up.
  }
}

/** Whether this process may create namespaces (root with iproute2); tests skip otherwise. */
export function canUseNetns(): boolean {
  const probe = `${PREFIX}probe-${process.pid}-${++counter}`;
  try {
    run(['ip', 'netns', 'add', probe]);
    run(['ip', 'netns', 'del', probe]);
    return true;
  } catch {
    return false;
  }
}

/** Creates namespaces for `tags`, runs `fn`, and destroys them all whatever happens. */
export async function withNetns<T>(
  tags: readonly string[],
  fn: (names: string[]) => T | Promise<T>,
): Promise<T> {
  const names: string[] = [];
  try {
    for (const tag of tags) names.push(createNetns(uniqueNetnsName(tag)));
    return await fn(names);
  } finally {
    for (const n of names) destroyNetns(n);
  }
}

let vethCounter = 0;

/**
 * Joins namespaces `a` and `b` with a veth pair, gives each end its address (`/prefix`) and
 * brings both up. Returns the two device names, unique per process (they live only inside the
 * namespaces, so they go when the namespaces do).
 */
export function joinNetns(a: string, b: string, addrA: string, addrB: string, prefix = 24): [string, string] {
  vethCounter += 1;
  const base = `ndv${process.pid % 100000}x${vethCounter}`;
  const devA = `${base}a`;
  const devB = `${base}b`;
  run(['ip', 'link', 'add', devA, 'netns', a, 'type', 'veth', 'peer', 'name', devB, 'netns', b]);
  for (const [ns, dev, addr] of [
    [a, devA, addrA],
    [b, devB, addrB],
  ] as const) {
    nsExec(ns, ['ip', 'addr', 'add', `${addr}/${prefix}`, 'dev', dev]);
    nsExec(ns, ['ip', 'link', 'set', dev, 'up']);
  }
  return [devA, devB];
}

/** A VXLAN device in `ns` over `dev`, as flannel builds one per node, with its address up. */
export function addVxlan(
  ns: string,
  o: { name: string; id: number; local: string; remote: string; dev: string; addr: string; prefix?: number },
): void {
  nsExec(ns, [
    'ip',
    'link',
    'add',
    o.name,
    'type',
    'vxlan',
    'id',
    String(o.id),
    'local',
    o.local,
    'remote',
    o.remote,
    'dstport',
    '8472',
    'dev',
    o.dev,
  ]);
  nsExec(ns, ['ip', 'addr', 'add', `${o.addr}/${o.prefix ?? 24}`, 'dev', o.name]);
  nsExec(ns, ['ip', 'link', 'set', o.name, 'up']);
}
