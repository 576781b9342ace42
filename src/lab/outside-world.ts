/**
 * The "internet" the cluster reaches: a DNS resolver (dnsmasq), a web server (busybox httpd)
 * and TLS services (openssl s_server, see outside-tls.ts) in the outside namespace, at
 * addresses only that namespace has.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { makeOutsideCerts, OUTSIDE_TLS_PORTS, type OutsideTlsKind, tlsServerArgs } from './outside-tls.ts';
import type { LabPaths } from './paths.ts';
import type { Pki } from './pki.ts';
import { spawnDaemon } from './shell.ts';
import type { StateRecorder } from './state.ts';
import { NET } from './topology.ts';

/** What the web server answers: tests look for this text. */
export const OUTSIDE_WEB_BODY = 'netdoctor-lab outside world\n';

export function startOutsideWorld(rec: StateRecorder, paths: LabPaths): void {
  const dir = join(paths.state, 'outside');
  mkdirSync(join(dir, 'www'), { recursive: true });
  writeFileSync(join(dir, 'www', 'index.html'), OUTSIDE_WEB_BODY);
  const dnsmasq = spawnDaemon(
    'ip',
    [
      'netns',
      'exec',
      NET.outsideNs,
      'dnsmasq',
      '--keep-in-foreground',
      '--conf-file=/dev/null',
      '--no-resolv',
      '--no-hosts',
      '--no-poll',
      '--bind-interfaces',
      `--listen-address=${NET.outsideDns}`,
      '--except-interface=lo',
      `--host-record=${NET.outsideWebName},${NET.outsideWeb}`,
      `--local=/${NET.outsideDomain}/`,
      '--log-queries',
      '--log-facility=-',
      `--pid-file=${join(dir, 'dnsmasq.pid')}`,
      '--user=root',
    ],
    join(paths.logs, 'outside-dnsmasq.log'),
  );
  rec.update((s) => s.processes.push({ name: 'outside/dnsmasq', pid: dnsmasq }));
  const httpd = spawnDaemon(
    'ip',
    [
      'netns',
      'exec',
      NET.outsideNs,
      'busybox',
      'httpd',
      '-f',
      '-p',
      `${NET.outsideWeb}:80`,
      '-h',
      join(dir, 'www'),
    ],
    join(paths.logs, 'outside-httpd.log'),
  );
  rec.update((s) => s.processes.push({ name: 'outside/httpd', pid: httpd }));
  // The resolver every node (and so CoreDNS, dnsPolicy Default) uses as its upstream.
  writeFileSync(join(paths.state, 'resolv.conf'), `nameserver ${NET.outsideDns}\n`);
}

/**
 * The outside TLS services, one per certificate shape, on the outside web address under its
 * name; started once the lab CA exists. The live tests give the probes the lab CA to trust.
 */
export function startOutsideTls(rec: StateRecorder, paths: LabPaths, pki: Pki): void {
  const dir = join(paths.state, 'outside', 'tls');
  const certs = makeOutsideCerts(dir, { cert: pki.caCert, key: pki.caKey }, NET.outsideWebName);
  for (const kind of Object.keys(OUTSIDE_TLS_PORTS) as OutsideTlsKind[]) {
    const pid = spawnDaemon(
      'ip',
      [
        'netns',
        'exec',
        NET.outsideNs,
        'openssl',
        ...tlsServerArgs(NET.outsideWeb, OUTSIDE_TLS_PORTS[kind], certs[kind]),
      ],
      join(paths.logs, `outside-tls-${kind}.log`),
    );
    rec.update((s) => s.processes.push({ name: `outside/tls-${kind}`, pid }));
  }
}
