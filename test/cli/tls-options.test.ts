import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { parseTlsTarget, type TlsFlags, tlsProbeOptions } from '../../src/cli/tls-options.ts';
import { NetdoctorError } from '../../src/core/errors.ts';
import { scratchDir } from '../support/scratch-dir.ts';

describe('--tls-target and --tls-ca', () => {
  it('takes a DNS name or IPv4 address and a port', () => {
    assert.deepEqual(parseTlsTarget('API.example.com:443'), { host: 'api.example.com', port: 443 });
    assert.deepEqual(parseTlsTarget('203.0.113.80:8443'), { host: '203.0.113.80', port: 8443 });
    for (const bad of [
      'api.example.com',
      ':443',
      'a.b:0',
      'a.b:65536',
      'a b:443',
      'https://a.b:443',
      '-a.b:443',
      'a.b:44x',
    ])
      assert.throws(() => parseTlsTarget(bad), /expected HOST:PORT/, bad);
  });

  it('reads a PEM CA and refuses one that is not, or one without a target', async () => {
    const dir = await scratchDir('tls-options-');
    const pem = join(dir, 'ca.pem');
    writeFileSync(pem, '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n');
    const target = { host: 'a.b', port: 443 };
    assert.deepEqual(await tlsProbeOptions({ tlsTarget: [target], tlsCa: pem }), {
      tlsTargets: [target],
      tlsCa: '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n',
    });
    assert.deepEqual(await tlsProbeOptions({ tlsTarget: [] }), {});
    const notPem = join(dir, 'x.txt');
    writeFileSync(notPem, 'hello');
    for (const [flags, why] of [
      [{ tlsTarget: [target], tlsCa: notPem }, /no PEM certificate/],
      [{ tlsTarget: [target], tlsCa: join(dir, 'missing.pem') }, /cannot read it/],
      [{ tlsTarget: [], tlsCa: pem }, /only used with --tls-target/],
    ] as [TlsFlags, RegExp][]) {
      await assert.rejects(
        tlsProbeOptions(flags),
        (e: unknown) =>
          e instanceof NetdoctorError && e.code === 'usage' && e.exitCode === 2 && why.test(e.message),
      );
    }
  });
});
