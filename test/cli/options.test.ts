/** Numeric, size and duration flags are parsed strictly; a bad value exits 2 naming the flag. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseCount, parseDuration, parseSize } from '../../src/cli/option-parsers.ts';
import { runCli } from '../support/run-cli.ts';

const ANY = { min: 0, max: Number.MAX_SAFE_INTEGER };

describe('option parsers', () => {
  it('durations: bare seconds, units, and compounds', () => {
    assert.equal(parseDuration('180', ANY), 180_000);
    assert.equal(parseDuration('180s', ANY), 180_000);
    assert.equal(parseDuration('3m', ANY), 180_000);
    assert.equal(parseDuration('1m30s', ANY), 90_000);
    assert.equal(parseDuration('500ms', ANY), 500);
    assert.equal(parseDuration('1h', ANY), 3_600_000);
    for (const bad of ['3x', '-5', '', 'm', '1.2.3s', '3 m', 'NaN', 'Infinity', '1e3']) {
      assert.throws(() => parseDuration(bad, ANY), /expected a duration/, bad);
    }
    assert.throws(() => parseDuration('0', { min: 1000, max: 60_000 }), /between 1s and 1m/);
  });

  it('sizes and counts', () => {
    assert.equal(parseSize('512MiB', ANY), 512 * 1024 ** 2);
    assert.equal(parseSize('4G', ANY), 4 * 1024 ** 3);
    assert.equal(parseSize('1GB', ANY), 1e9);
    assert.equal(parseSize('2048', ANY), 2048);
    assert.throws(() => parseSize('lots', ANY), /expected a size/);
    assert.equal(parseCount('100_000', ANY), 100_000);
    assert.throws(() => parseCount('1.5', ANY), /whole number/);
    assert.throws(() => parseCount('-3', ANY), /whole number/);
  });
});

describe('bad flag values on the command line', () => {
  it('fix --verify-timeout 3x exits 2 naming the flag', () => {
    const r = runCli(['fix', '--bundle', 'examples/healthy', '--dry-run', '--verify-timeout', '3x']);
    assert.equal(r.status, 2, r.stderr);
    assert.match(r.stderr, /--verify-timeout <duration>' argument '3x' is invalid/);
  });

  it('validate --timeout -5 exits 2 naming the flag', () => {
    const r = runCli(['validate', '--timeout', '-5']);
    assert.equal(r.status, 2, r.stderr);
    assert.match(r.stderr, /--timeout <duration>' argument '-5' is invalid/);
  });

  it('analyze --max-bundle-entries abc exits 2 naming the flag', () => {
    const r = runCli(['analyze', 'examples/healthy', '--max-bundle-entries', 'abc']);
    assert.equal(r.status, 2, r.stderr);
    assert.match(r.stderr, /--max-bundle-entries <n>' argument 'abc' is invalid/);
  });
});
