/** The one error handler: its own exit code for netdoctor's bugs, and redacted messages. */
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { handleError } from '../../src/cli/handle-error.ts';
import { EXIT, NetdoctorError } from '../../src/core/errors.ts';
import { runCli } from '../support/run-cli.ts';

function captured(fn: () => number): { code: number; stderr: string } {
  const write = process.stderr.write;
  let stderr = '';
  process.stderr.write = ((chunk: string) => {
    stderr += chunk;
    return true;
  }) as typeof process.stderr.write;
  try {
    return { code: fn(), stderr };
  } finally {
    process.stderr.write = write;
  }
}

describe('handleError', () => {
  it('an internal error exits 70, never 1 (which means problems found)', () => {
    const { code, stderr } = captured(() =>
      handleError(new TypeError("Cannot read properties of undefined (reading 'namespace')"), {
        verbose: false,
      }),
    );
    assert.equal(code, 70);
    assert.equal(EXIT.internal, 70);
    assert.match(stderr, /internal error/);
    assert.equal(new NetdoctorError('internal', 'x').exitCode, 70);
  });

  it('redacts secrets in messages, causes and stacks before printing them', () => {
    const err = new NetdoctorError('kubeconfig-invalid', 'the kubeconfig could not be read', {
      cause: new Error('bad indentation\n 5 |     token: eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJl'),
    });
    const { code, stderr } = captured(() => handleError(err, { verbose: true }));
    assert.equal(code, EXIT.cluster);
    assert.doesNotMatch(stderr, /eyJzdWIiOiJ4In0/);
    const internal = captured(() =>
      handleError(new Error('fetch https://admin:S3cretPw@10.0.0.1/ failed'), { verbose: true }),
    );
    assert.doesNotMatch(internal.stderr, /S3cretPw/);
  });

  it('a kubeconfig with a YAML error does not print the start of its token', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'ndt-kc-'));
    try {
      const kc = join(dir, 'config');
      await writeFile(
        kc,
        'apiVersion: v1\nusers:\n- name: u\n  user:\n    token: "sk-kcSecretStart0123456789abcdef\n  x: [\n',
      );
      const r = runCli(['diagnose', '--kubeconfig', kc]);
      assert.equal(r.status, 3, r.stderr);
      assert.match(r.stderr, /the kubeconfig could not be read/);
      assert.doesNotMatch(r.stderr, /kcSecret/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
