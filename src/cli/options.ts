import { Option } from 'commander';
import { NetdoctorError } from '../core/errors.ts';

/** Report formats a command can print (PRODUCT.md common flag `-o`). */
export const OUTPUT_FORMATS = ['text', 'json', 'yaml', 'md', 'html', 'junit'] as const;
export type OutputFormat = (typeof OUTPUT_FORMATS)[number];

/** `-o, --output <format>` shared by every command that prints a report. */
export function outputOption(defaultFormat: OutputFormat = 'text'): Option {
  return new Option('-o, --output <format>', 'output format').choices(OUTPUT_FORMATS).default(defaultFormat);
}

/** Parses `53/udp`, `443`, `8472/UDP` into a port and protocol (TCP by default). */
export function parsePortSpec(spec: string): { port: number; protocol: 'TCP' | 'UDP' | 'SCTP' } {
  const m = /^(\d{1,5})(?:\/(tcp|udp|sctp))?$/i.exec(spec.trim());
  const port = m ? Number(m[1]) : Number.NaN;
  if (!m || port < 1 || port > 65535) {
    throw new NetdoctorError('usage', `invalid port "${spec}"`, {
      suggestions: ['use PORT[/PROTOCOL], e.g. 53/udp'],
    });
  }
  return { port, protocol: (m[2]?.toUpperCase() ?? 'TCP') as 'TCP' | 'UDP' | 'SCTP' };
}
