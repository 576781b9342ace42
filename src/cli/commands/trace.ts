import { type Command, Option } from 'commander';
import pc from 'picocolors';
import { readBundle } from '../../collect/bundle/read.ts';
import { EXIT, NetdoctorError } from '../../core/errors.ts';
import type { Snapshot } from '../../core/model.ts';
import { traceFlow } from '../../datapath/trace.ts';
import { parseTracePort } from '../../datapath/trace-args.ts';
import { traceProbe, withProbePods } from '../../datapath/trace-probe.ts';
import { renderTraceText, type TraceTextStyle } from '../../datapath/trace-text.ts';
import type { TraceQuery, TraceResult } from '../../datapath/trace-types.ts';
import { type BundleLimitFlags, limitsFrom, withBundleLimitOptions } from '../bundle-limit-options.ts';

const COLOUR: TraceTextStyle = { ok: pc.green, broken: pc.red, unknown: pc.yellow, dim: pc.dim };

/** `netdoctor trace <bundle>`: walk one packet through a saved bundle and show where it breaks. */
export function registerTrace(program: Command): void {
  const cmd = program
    .command('trace')
    .description(
      'follow a packet through routes, bridge, VXLAN and iptables in a bundle; show the first hop that breaks',
    )
    .argument('<bundle>', 'bundle directory or .tar.gz written by `netdoctor diagnose`')
    .option('--from <NS/POD|IP>', 'source pod (namespace/name) or address')
    .option('--to <NS/POD|IP|svc/NS/NAME>', 'destination pod, address, or Service')
    .option('--port <PORT[/PROTO]>', 'destination port and protocol, e.g. 53/udp')
    .option(
      '--probe <ID>',
      "a probe of the bundle (probes/results.json), traced as analysis traces it: its own pods' addresses and nodes, and the reply when the request arrives",
    )
    .addOption(
      new Option('-o, --output <format>', 'output format').choices(['text', 'json']).default('text'),
    );
  withBundleLimitOptions(cmd).action(
    async (
      bundle: string,
      o: {
        from?: string;
        to?: string;
        port?: string;
        probe?: string;
        output: 'text' | 'json';
      } & BundleLimitFlags,
    ) => {
      if (o.probe !== undefined ? o.from !== undefined || o.to !== undefined : !o.from || !o.to)
        throw new NetdoctorError('usage', 'give --from and --to, or --probe', {
          suggestions: ['--from NS/POD --to NS/POD [--port 53/udp]', '--probe pod-to-pod-tcp/node-1/node-2'],
        });
      const snapshot = await readBundle(bundle, { limits: limitsFrom(o) });
      const results =
        o.probe === undefined ? [traceQuery(snapshot, o)] : traceRecordedProbe(snapshot, o.probe);
      const style = process.stdout.isTTY ? COLOUR : undefined;
      process.stdout.write(
        o.output === 'json'
          ? `${JSON.stringify(o.probe === undefined ? results[0] : results, null, 2)}\n`
          : results.map((r) => renderTraceText(r, style)).join('\n'),
      );
      process.exitCode = results.every((r) => r.status === 'delivered') ? EXIT.healthy : EXIT.problems;
    },
  );
}

function traceQuery(snapshot: Snapshot, o: { from?: string; to?: string; port?: string }): TraceResult {
  const query: TraceQuery = {
    from: o.from as string,
    to: o.to as string,
    ...(o.port === undefined ? {} : parseTracePort(o.port)),
  };
  return traceFlow(snapshot, query);
}

/** The request and, when it arrives, the reply of one recorded probe. */
function traceRecordedProbe(snapshot: Snapshot, id: string): TraceResult[] {
  const probe = snapshot.probes?.results.find((r) => r.id === id);
  if (!probe)
    throw new NetdoctorError('usage', `no probe ${id} in the bundle`, {
      suggestions: (snapshot.probes?.results ?? [])
        .filter((r) => r.outcome.status === 'fail')
        .slice(0, 5)
        .map((r) => r.id),
    });
  const { request, reply } = traceProbe(withProbePods(snapshot, [probe]), probe);
  if (!request) throw new NetdoctorError('usage', `probe ${id} has no addresses to trace`);
  return reply ? [request, reply] : [request];
}
