import { NetdoctorError } from '../core/errors.ts';
import { TRACE_PROTOCOLS, type TraceProtocol } from './trace-types.ts';

/** Reads `--port` as `53`, `53/udp`, `53/UDP` or `icmp`. */
export function parseTracePort(spec: string): { port?: number; protocol?: TraceProtocol } {
  const [p, proto] = spec.toLowerCase().split('/');
  const out: { port?: number; protocol?: TraceProtocol } = {};
  if (p === 'icmp' && proto === undefined) return { protocol: 'icmp' };
  const port = Number(p);
  if (!Number.isInteger(port) || port < 1 || port > 65535) {
    throw new NetdoctorError('usage', `--port must be PORT or PORT/PROTO (e.g. 53/udp), not "${spec}"`);
  }
  out.port = port;
  if (proto !== undefined) {
    if (!(TRACE_PROTOCOLS as readonly string[]).includes(proto)) {
      throw new NetdoctorError(
        'usage',
        `unknown protocol "${proto}" in --port ${spec}: use tcp, udp or icmp`,
      );
    }
    out.protocol = proto as TraceProtocol;
  }
  return out;
}
