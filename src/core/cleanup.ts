/**
 * Process-wide cleanup: whatever netdoctor creates in a cluster (agent pods, probe pods) registers
 * an async cleanup here the moment it is about to exist. `finally` blocks unregister and run it on
 * the normal path; SIGINT/SIGTERM and the normal end of the process run whatever is still
 * registered, once, so an interrupted run leaves nothing behind.
 */

export type Cleanup = () => Promise<void>;

interface Entry {
  name: string;
  fn: Cleanup;
}

const entries = new Set<Entry>();
let running: Promise<void> | undefined;

/** Registers `fn`; the returned function unregisters it (without running it). */
export function registerCleanup(name: string, fn: Cleanup): () => void {
  const entry: Entry = { name, fn };
  entries.add(entry);
  return () => {
    entries.delete(entry);
  };
}

/** Names of the cleanups still registered (tests and `-v` use it). */
export function pendingCleanups(): string[] {
  return [...entries].map((e) => e.name);
}

/**
 * Runs every registered cleanup concurrently, once: a second call while the first runs waits for
 * the same work. A failing cleanup is reported through `onError` and does not stop the others.
 */
export function runCleanups(onError: (name: string, err: unknown) => void = () => {}): Promise<void> {
  if (running) return running;
  const batch = [...entries];
  entries.clear();
  running = Promise.all(
    batch.map(async (e) => {
      try {
        await e.fn();
      } catch (err) {
        onError(e.name, err);
      }
    }),
  ).then(() => {
    running = undefined;
  });
  return running;
}

/** Exit status after an interrupt: 128 + SIGINT. */
export const INTERRUPTED_EXIT = 130;

/**
 * On SIGINT or SIGTERM: run the registered cleanups (bounded by `graceMs`), then call `exit`
 * with 130. A second signal while cleaning exits at once. Returns a function removing the handlers.
 */
export function installSignalCleanup(
  exit: (code: number) => void,
  opts: { graceMs?: number; log?: (message: string) => void } = {},
): () => void {
  const graceMs = opts.graceMs ?? 20_000;
  const log = opts.log ?? ((m: string) => process.stderr.write(`${m}\n`));
  let interrupted = false;
  const handler = (signal: NodeJS.Signals): void => {
    if (interrupted) {
      exit(INTERRUPTED_EXIT);
      return;
    }
    interrupted = true;
    const pending = pendingCleanups();
    log(`netdoctor: ${signal}: cleaning up${pending.length ? ` (${pending.length} object(s))` : ''}…`);
    const timer = setTimeout(() => {
      log('netdoctor: cleanup did not finish in time; run `netdoctor cleanup` to remove leftovers');
      exit(INTERRUPTED_EXIT);
    }, graceMs);
    void runCleanups((name, err) => log(`netdoctor: cleanup of ${name} failed: ${String(err)}`)).then(() => {
      clearTimeout(timer);
      exit(INTERRUPTED_EXIT);
    });
  };
  process.on('SIGINT', handler);
  process.on('SIGTERM', handler);
  return () => {
    process.off('SIGINT', handler);
    process.off('SIGTERM', handler);
  };
}
