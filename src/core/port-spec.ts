import { NetdoctorError } from './errors.ts';

/**
 * Reads a `--port` value, `PORT[/PROTOCOL]` (`53/udp`, `8472/UDP`, `443`). The protocol is
 * matched against `protocols` ignoring case and returned as spelled there; when the spec names
 * none it is left out, because the default differs by command (NetworkPolicy's TCP, the tracer's
 * "any").
 */
export function parsePortSpec<P extends string>(
  spec: string,
  protocols: readonly P[],
): { port: number; protocol?: P } {
  const m = /^(\d{1,5})(?:\/([a-zA-Z]+))?$/.exec(spec.trim());
  const port = m ? Number(m[1]) : Number.NaN;
  if (!m || port < 1 || port > 65535) {
    throw new NetdoctorError('usage', `--port must be PORT or PORT/PROTOCOL (e.g. 53/udp), not "${spec}"`, {
      suggestions: [`use PORT[/PROTOCOL] with a port 1-65535 and ${protocols.join(', ')}, e.g. 53/udp`],
    });
  }
  const name = m[2];
  if (name === undefined) return { port };
  const protocol = protocols.find((p) => p.toLowerCase() === name.toLowerCase());
  if (protocol === undefined) {
    throw new NetdoctorError(
      'usage',
      `unknown protocol "${name}" in --port ${spec}: use ${protocols.join(', ')}`,
    );
  }
  return { port, protocol };
}
