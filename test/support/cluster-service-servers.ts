/**
 * Stand-ins for cluster DNS and the API server inside a network namespace a test or benchmark
 * created: dnsmasq answering `kubernetes.default.svc.cluster.local`, and a TLS listener (a
 * self-signed certificate for kubernetes.default.svc) that completes handshakes and closes.
 * Real servers on real sockets: the agent's probes reach them through kube-proxy's rules.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** The running servers; `stop()` ends them and removes their files. */
export interface ClusterServiceServers {
  stop(): void;
}

/** Starts dnsmasq on `ip:53` and, when `tlsPort` is given, a TLS listener on `ip:tlsPort`, in `ns`. */
export function startClusterServiceServers(ns: string, ip: string, tlsPort?: number): ClusterServiceServers {
  const dir = mkdtempSync(join(tmpdir(), 'netdoctor-svc-servers-'));
  const procs: ChildProcess[] = [
    spawn(
      'ip',
      [
        'netns',
        'exec',
        ns,
        'dnsmasq',
        '--keep-in-foreground',
        '--conf-file=/dev/null',
        '--no-resolv',
        '--no-hosts',
        '--bind-interfaces',
        `--listen-address=${ip}`,
        '--address=/kubernetes.default.svc.cluster.local/10.96.0.1',
        '--pid-file=',
        '--user=root',
      ],
      { stdio: 'ignore' },
    ),
  ];
  if (tlsPort !== undefined) {
    const key = join(dir, 'key.pem');
    const cert = join(dir, 'cert.pem');
    execFileSync(
      'openssl',
      ['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', key],
      {
        stdio: 'ignore',
      },
    );
    execFileSync(
      'openssl',
      [
        'req',
        '-new',
        '-x509',
        '-key',
        key,
        '-subj',
        '/CN=kubernetes.default.svc',
        '-days',
        '1',
        '-out',
        cert,
      ],
      { stdio: 'ignore' },
    );
    const server = [
      "const fs = require('node:fs');",
      `const o = { key: fs.readFileSync(${JSON.stringify(key)}), cert: fs.readFileSync(${JSON.stringify(cert)}) };`,
      `require('node:tls').createServer(o, (s) => s.end()).listen(${tlsPort}, ${JSON.stringify(ip)});`,
    ].join(' ');
    procs.push(spawn('ip', ['netns', 'exec', ns, process.execPath, '-e', server], { stdio: 'ignore' }));
  }
  return {
    stop() {
      for (const p of procs) p.kill('SIGTERM');
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
