import { NetdoctorError } from '../core/errors.ts';
import { isIp } from '../core/net/cidr.ts';
import { parsePortSpec as readPortSpec } from '../core/port-spec.ts';
import { type IpRef, type PodRef, PROTOCOLS, type Protocol, type ServiceRef } from './flow-types.ts';

/** `NS/POD` or an IP address. */
export function parseSource(s: string): PodRef | IpRef {
  const r = parseDestination(s);
  if (r.kind === 'service') {
    throw new NetdoctorError('usage', `--from must be NS/POD or an IP address, not a Service: ${s}`);
  }
  return r;
}

/** `NS/POD`, an IP address, or `svc/NS/NAME`. */
export function parseDestination(s: string): PodRef | IpRef | ServiceRef {
  if (isIp(s)) return { kind: 'ip', ip: s };
  const parts = s.split('/');
  if (parts.length === 3 && (parts[0] === 'svc' || parts[0] === 'service') && parts[1] && parts[2]) {
    return { kind: 'service', namespace: parts[1], name: parts[2] };
  }
  if (parts.length === 2 && parts[0] && parts[1]) return { kind: 'pod', namespace: parts[0], name: parts[1] };
  throw new NetdoctorError('usage', `cannot read endpoint "${s}"`, {
    suggestions: [
      'use NS/POD (e.g. default/web-0), an IP address, or svc/NS/NAME (e.g. svc/kube-system/kube-dns)',
    ],
  });
}

/** `53/udp`, `8080/TCP`, `443` (TCP by default, as in NetworkPolicy). */
export function parsePortSpec(s: string): { port: number; protocol: Protocol } {
  const { port, protocol = 'TCP' } = readPortSpec(s, PROTOCOLS);
  return { port, protocol };
}
