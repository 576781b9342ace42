import { parsePortSpec } from '../core/port-spec.ts';
import { TRACE_PROTOCOLS, type TraceProtocol } from './trace-types.ts';

/** Reads `--port` as `53`, `53/udp`, `53/UDP` or `icmp` (which has no port). */
export function parseTracePort(spec: string): { port?: number; protocol?: TraceProtocol } {
  if (spec.trim().toLowerCase() === 'icmp') return { protocol: 'icmp' };
  return parsePortSpec(spec, TRACE_PROTOCOLS);
}
