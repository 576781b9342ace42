/**
 * `netdoctor perf` refuses bad flags through the real CLI before it reads any kubeconfig: exit
 * 2 and a message naming the flag. No cluster is needed (none is contacted).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { runCli } from '../support/run-cli.ts';

const BAD: { args: string[]; says: RegExp }[] = [
  { args: [], says: /perf needs --from and --to/ },
  { args: ['--from', 'a'], says: /perf needs --to/ },
  { args: ['--from', 'a', '--to', 'a'], says: /same node \(a\)/ },
  { args: ['--from', 'a', '--to', 'b', '--limit', '2'], says: /--limit bounds --all-pairs/ },
  { args: ['--all-pairs', '--to', 'b'], says: /without --from and --to/ },
  {
    args: ['--all-pairs', '--limit', '0'],
    says: /'--limit <n>' argument '0' is invalid\. must be between 1 and 50/,
  },
  { args: ['--all-pairs', '--limit', 'many'], says: /'--limit <n>'.*expected a whole number/ },
  { args: ['--all-pairs', '--duration', '61s'], says: /'--duration <duration>'.*between 1s and 1m/ },
  { args: ['--all-pairs', '--duration', '2.5'], says: /'--duration <duration>'.*whole seconds/ },
  { args: ['--all-pairs', '--timeout', '5s'], says: /'--timeout <duration>'.*between 30s and 3h/ },
  { args: ['--all-pairs', '-o', 'yaml'], says: /Allowed choices are text, json, md/ },
];

describe('netdoctor perf: flags that do not add up exit 2, naming the flag', () => {
  for (const { args, says } of BAD)
    it(`perf ${args.join(' ') || '(no flags)'}`, () => {
      // A kubeconfig that does not exist: reaching it would exit 3, not 2.
      const r = runCli(['perf', ...args, '--kubeconfig', '/nonexistent/kubeconfig'], { timeoutMs: 30_000 });
      assert.equal(r.status, 2, r.stderr);
      assert.match(r.stderr, says);
      assert.equal(r.stdout, '');
    });
});
