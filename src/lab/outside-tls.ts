/**
 * TLS services in the lab's outside world, for the TLS probes: one whose certificate is right
 * (issued by the lab CA for its name), and one for each way a certificate goes wrong in real
 * life: expired, issued for another name, and self-signed. Each listens on its own port of the
 * outside web address, so one DNS name serves them all.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { run } from './shell.ts';

/** The certificate shapes the outside world serves, each on its own port. */
export const OUTSIDE_TLS_PORTS = {
  valid: 443,
  expired: 8443,
  wrongName: 9443,
  selfSigned: 10443,
} as const;
export type OutsideTlsKind = keyof typeof OUTSIDE_TLS_PORTS;

/** A certificate and its key, as files. */
export interface CertFiles {
  cert: string;
  key: string;
}

function genKey(path: string): void {
  run('openssl', ['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', path]);
}

/**
 * Makes one certificate of each kind for `name` under `dir`, issued by the CA given (the
 * self-signed one by itself). The expired one was valid for all of 2024, as a certificate
 * nobody renewed is; `openssl ca` is used because only it sets an arbitrary validity window.
 */
export function makeOutsideCerts(
  dir: string,
  ca: CertFiles,
  name: string,
): Record<OutsideTlsKind, CertFiles> {
  mkdirSync(join(dir, 'db'), { recursive: true });
  writeFileSync(join(dir, 'db', 'index.txt'), '');
  writeFileSync(join(dir, 'db', 'serial'), '1000\n');
  writeFileSync(
    join(dir, 'ca.cnf'),
    [
      '[ca]',
      'default_ca = outside',
      '[outside]',
      `database = ${join(dir, 'db', 'index.txt')}`,
      `serial = ${join(dir, 'db', 'serial')}`,
      `new_certs_dir = ${join(dir, 'db')}`,
      'default_md = sha256',
      'policy = anything',
      'unique_subject = no',
      '[anything]',
      'commonName = supplied',
      '',
    ].join('\n'),
  );
  const issue = (base: string, san: string, window: string[]): CertFiles => {
    const key = join(dir, `${base}.key`);
    const csr = join(dir, `${base}.csr`);
    const ext = join(dir, `${base}.ext`);
    const cert = join(dir, `${base}.crt`);
    genKey(key);
    run('openssl', ['req', '-new', '-key', key, '-subj', `/CN=${san}`, '-out', csr]);
    writeFileSync(ext, `subjectAltName=DNS:${san}\nextendedKeyUsage=serverAuth\n`);
    run('openssl', [
      'ca',
      '-batch',
      '-notext',
      '-config',
      join(dir, 'ca.cnf'),
      '-cert',
      ca.cert,
      '-keyfile',
      ca.key,
      '-in',
      csr,
      '-extfile',
      ext,
      ...window,
      '-out',
      cert,
    ]);
    return { cert, key };
  };
  const selfKey = join(dir, 'self-signed.key');
  const selfCert = join(dir, 'self-signed.crt');
  genKey(selfKey);
  run('openssl', [
    'req',
    '-x509',
    '-new',
    '-key',
    selfKey,
    '-subj',
    `/CN=${name}`,
    '-addext',
    `subjectAltName=DNS:${name}`,
    '-days',
    '365',
    '-out',
    selfCert,
  ]);
  return {
    valid: issue('valid', name, ['-days', '365']),
    expired: issue('expired', name, ['-startdate', '20240101000000Z', '-enddate', '20250101000000Z']),
    wrongName: issue('wrong-name', `other.${name.split('.').slice(1).join('.')}`, ['-days', '365']),
    selfSigned: { cert: selfCert, key: selfKey },
  };
}

/** The `openssl s_server` command line serving `files` on `address:port` (a status page over HTTP). */
export function tlsServerArgs(address: string, port: number, files: CertFiles): string[] {
  return [
    's_server',
    '-quiet',
    '-accept',
    `${address}:${port}`,
    '-cert',
    files.cert,
    '-key',
    files.key,
    '-www',
  ];
}
