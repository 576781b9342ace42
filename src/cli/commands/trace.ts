import { type Command, Option } from 'commander';
import pc from 'picocolors';
import { readBundle } from '../../collect/bundle/read.ts';
import { EXIT } from '../../core/errors.ts';
import { traceFlow } from '../../datapath/trace.ts';
import { parseTracePort } from '../../datapath/trace-args.ts';
import { renderTraceText, type TraceTextStyle } from '../../datapath/trace-text.ts';
import type { TraceQuery } from '../../datapath/trace-types.ts';

const COLOUR: TraceTextStyle = { ok: pc.green, broken: pc.red, unknown: pc.yellow, dim: pc.dim };

/** `netdoctor trace <bundle>`: walk one packet through a saved bundle and show where it breaks. */
export function registerTrace(program: Command): void {
  program
    .command('trace')
    .description(
      'follow a packet through routes, bridge, VXLAN and iptables in a bundle; show the first hop that breaks',
    )
    .argument('<bundle>', 'bundle directory or .tar.gz written by `netdoctor diagnose`')
    .requiredOption('--from <NS/POD|IP>', 'source pod (namespace/name) or address')
    .requiredOption('--to <NS/POD|IP|svc/NS/NAME>', 'destination pod, address, or Service')
    .option('--port <PORT[/PROTO]>', 'destination port and protocol, e.g. 53/udp')
    .addOption(new Option('-o, --output <format>', 'output format').choices(['text', 'json']).default('text'))
    .action(
      async (bundle: string, o: { from: string; to: string; port?: string; output: 'text' | 'json' }) => {
        const query: TraceQuery = {
          from: o.from,
          to: o.to,
          ...(o.port === undefined ? {} : parseTracePort(o.port)),
        };
        const snapshot = await readBundle(bundle);
        const result = traceFlow(snapshot, query);
        process.stdout.write(
          o.output === 'json'
            ? `${JSON.stringify(result, null, 2)}\n`
            : renderTraceText(result, process.stdout.isTTY ? COLOUR : undefined),
        );
        process.exitCode = result.status === 'delivered' ? EXIT.healthy : EXIT.problems;
      },
    );
}
