import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { describe, it } from 'node:test';

describe('the CLI writing into a pipe', () => {
  it('delivers a report larger than the pipe buffer whole, even to a reader that is slow to drain', () => {
    // The reader starts only after a pause, so the pipe fills up and the rest of the report
    // waits in the process: exiting before it is flushed would cut the JSON at 64 KiB.
    const r = spawnSync(
      'sh',
      [
        '-c',
        `"${process.execPath}" src/cli/main.ts analyze examples/iptables-backend-mixed -o json | (sleep 1; cat)`,
      ],
      { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 },
    );
    assert.equal(r.status, 0, r.stderr);
    assert.ok(
      r.stdout.length > 65_536,
      `a report of ${r.stdout.length} bytes exercises more than one pipe buffer`,
    );
    const report = JSON.parse(r.stdout) as { rootCauses: { category: string }[] };
    assert.equal(report.rootCauses[0]?.category, 'node.iptables-backend-mixed');
  });
});
