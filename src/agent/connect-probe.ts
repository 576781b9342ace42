/**
 * One connection as a probe: a TCP handshake, or a TLS handshake on top of it, is the answer;
 * nothing is sent. Unreachable and silence are loss on the path; a refusal is an answer from the
 * far host (the path works and nothing listens there), which is an error of the target, not loss.
 */
import type { Socket } from 'node:net';

/** How a connect ended. */
export type ConnectResult =
  | { status: 'ok'; rttMs: number }
  | { status: 'lost'; detail: string }
  | { status: 'error'; refused: boolean; detail: string };

export interface ConnectOptions {
  timeoutMs: number;
  /**
   * Also complete a TLS handshake, sending this name (SNI). The certificate is not checked: the
   * probe proves a TLS listener answers, and sends nothing over the connection.
   */
  tlsServername?: string;
}

/** Connects to `ip:port`; never throws. */
export async function connectProbe(ip: string, port: number, o: ConnectOptions): Promise<ConnectResult> {
  const started = performance.now();
  // tls is loaded on first use only: most of the agent's probes are plain TCP.
  const sock: Socket =
    o.tlsServername === undefined
      ? (await import('node:net')).connect({ host: ip, port })
      : (await import('node:tls')).connect({
          host: ip,
          port,
          servername: o.tlsServername,
          rejectUnauthorized: false,
        });
  return new Promise((resolve) => {
    const done = (r: ConnectResult): void => {
      sock.destroy();
      resolve(r);
    };
    sock.setTimeout(o.timeoutMs, () => done({ status: 'lost', detail: `no answer in ${o.timeoutMs} ms` }));
    sock.once(o.tlsServername === undefined ? 'connect' : 'secureConnect', () =>
      done({ status: 'ok', rttMs: performance.now() - started }),
    );
    sock.once('error', (e: NodeJS.ErrnoException) =>
      done(
        e.code === 'EHOSTUNREACH' || e.code === 'ENETUNREACH'
          ? { status: 'lost', detail: e.code }
          : { status: 'error', refused: e.code === 'ECONNREFUSED', detail: e.message },
      ),
    );
  });
}
