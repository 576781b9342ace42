/**
 * `--tls-target HOST:PORT` (repeatable) and `--tls-ca FILE`, shared by `diagnose` and
 * `validate`: which services outside the cluster every node's TLS handshake is checked against,
 * and the CA bundle those probes trust when the services' certificates come from a private CA.
 */
import { readFile } from 'node:fs/promises';
import { InvalidArgumentError, Option } from 'commander';
import { NetdoctorError } from '../core/errors.ts';
import type { TlsTarget } from '../probe/types.ts';

/** A CA bundle passed to the probe pods (through their environment) must stay this small. */
export const MAX_TLS_CA_BYTES = 256 * 1024;

/** The flags as commander gives them. */
export interface TlsFlags {
  tlsTarget: TlsTarget[];
  tlsCa?: string;
}

/**
 * `HOST:PORT`: a DNS name (sent as SNI, checked against the certificate) or an IPv4 address,
 * and a port from 1 to 65535. Anything else fails before the run starts.
 */
export function parseTlsTarget(value: string): TlsTarget {
  const m = /^([A-Za-z0-9](?:[A-Za-z0-9.-]{0,251}[A-Za-z0-9])?):(\d{1,5})$/.exec(value.trim());
  const port = m ? Number(m[2]) : 0;
  if (!m || port < 1 || port > 65535) {
    throw new InvalidArgumentError(
      'expected HOST:PORT, e.g. api.example.com:443 (a DNS name or IPv4 address).',
    );
  }
  return { host: (m[1] as string).toLowerCase(), port };
}

/** The two options, to add to a command. */
export function tlsOptions(): Option[] {
  return [
    new Option(
      '--tls-target <host:port>',
      'check the TLS handshake to this outside service from every node (repeatable)',
    )
      .argParser((v: string, acc: TlsTarget[] | undefined) => [...(acc ?? []), parseTlsTarget(v)])
      .default([] as TlsTarget[], 'none'),
    new Option('--tls-ca <file>', "PEM CA bundle the TLS checks trust instead of the probe image's"),
  ];
}

/** The probe options the flags ask for; a CA file that is unreadable or not PEM exits 2. */
export async function tlsProbeOptions(
  flags: TlsFlags,
): Promise<{ tlsTargets?: TlsTarget[]; tlsCa?: string }> {
  const targets = flags.tlsTarget.length > 0 ? { tlsTargets: flags.tlsTarget } : {};
  if (flags.tlsCa === undefined) return targets;
  if (flags.tlsTarget.length === 0)
    throw new NetdoctorError('usage', '--tls-ca is only used with --tls-target HOST:PORT');
  let pem: string;
  try {
    pem = await readFile(flags.tlsCa, 'utf8');
  } catch (err) {
    throw new NetdoctorError('usage', `--tls-ca ${flags.tlsCa}: cannot read it (${(err as Error).message})`);
  }
  if (Buffer.byteLength(pem) > MAX_TLS_CA_BYTES)
    throw new NetdoctorError('usage', `--tls-ca ${flags.tlsCa}: larger than ${MAX_TLS_CA_BYTES / 1024} KiB`);
  if (!/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/.test(pem))
    throw new NetdoctorError('usage', `--tls-ca ${flags.tlsCa}: no PEM certificate in it`);
  return { ...targets, tlsCa: pem };
}
