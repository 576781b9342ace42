/** `netdoctor lab ...`: the one-machine multi-node cluster netdoctor is tested on. */
import { type Command, Option } from 'commander';
import { EXIT, NetdoctorError } from '../../core/errors.ts';
import { dataPlaneFailures } from '../../lab/data-plane.ts';
import { labDown } from '../../lab/down.ts';
import { breakFault, breakRandom, healFaults, listFaults, listShapes } from '../../lab/fault-runner.ts';
import { loadImages } from '../../lab/load-image.ts';
import { labPaths } from '../../lab/paths.ts';
import { LAB_PROXY_MODES, type LabProxyMode } from '../../lab/proxy-mode.ts';
import { freshSeed } from '../../lab/random/generate.ts';
import { readState } from '../../lab/state.ts';
import { labStatus, renderStatus } from '../../lab/status.ts';
import { MAX_NODES } from '../../lab/topology.ts';
import { labUp } from '../../lab/up.ts';
import { loadVersions } from '../../lab/versions.ts';
import { count, duration } from '../option-parsers.ts';

function requireRoot(): void {
  if (process.getuid?.() !== 0) {
    throw new NetdoctorError('lab', 'the lab creates network namespaces and mounts: run it as root');
  }
}

const log = (m: string) => process.stderr.write(`lab: ${m}\n`);

export function registerLab(program: Command): void {
  const lab = program
    .command('lab')
    .description('a real multi-node Kubernetes cluster on this machine, with injectable faults');

  lab
    .command('up')
    .description('build what is missing and start the cluster (one control plane, N-1 workers)')
    .option('--nodes <n>', `number of nodes (1 to ${MAX_NODES})`, count({ min: 1, max: MAX_NODES }), 3)
    .addOption(
      new Option('--timeout <duration>', 'how long to wait for Ready: 420, 420s, 7m')
        .argParser(duration({ min: 1000, max: 3 * 3_600_000 }))
        .default(420_000, '7m'),
    )
    .addOption(
      new Option('--proxy-mode <mode>', 'how kube-proxy programs Services')
        .choices(LAB_PROXY_MODES)
        .default('iptables'),
    )
    .action(async (o: { nodes: number; timeout: number; proxyMode: LabProxyMode }) => {
      requireRoot();
      const v = loadVersions();
      const paths = labPaths(v);
      const r = await labUp(paths, v, {
        nodes: o.nodes,
        timeoutSeconds: o.timeout / 1000,
        proxyMode: o.proxyMode,
        log,
      });
      log(`up in ${r.seconds.toFixed(1)}s`);
      process.stdout.write(renderStatus(labStatus(paths)));
    });

  lab
    .command('down')
    .description('remove every namespace, process, mount, link and file the lab made')
    .action(async () => {
      requireRoot();
      const r = await labDown(labPaths(loadVersions()));
      log(`down: killed ${r.killed} processes, removed ${r.netns.length} namespaces`);
    });

  lab
    .command('status')
    .description('nodes, addresses, pod CIDRs, kubeconfig and component health')
    .option('-o, --output <format>', 'text or json', 'text')
    .action((o: { output: string }) => {
      const s = labStatus(labPaths(loadVersions()));
      process.stdout.write(o.output === 'json' ? `${JSON.stringify(s, null, 2)}\n` : renderStatus(s));
    });

  lab
    .command('check')
    .description(
      "the lab's data-plane checks from every node's toolbox pod: pod-to-pod, DNS over UDP and TCP, ClusterIP, NodePort, egress (exit 1 when any fails)",
    )
    .action(() => {
      const paths = labPaths(loadVersions());
      if (readState(paths.stateFile) === undefined)
        throw new NetdoctorError('lab', 'the lab is down', {
          suggestions: ['netdoctor lab up'],
        });
      const fails = dataPlaneFailures(paths);
      process.stdout.write(
        fails.length === 0
          ? 'data plane: every check passed\n'
          : `data plane: ${fails.length} check(s) failed\n${fails.map((f) => `  ${f}\n`).join('')}`,
      );
      process.exitCode = fails.length === 0 ? EXIT.healthy : EXIT.problems;
    });

  lab
    .command('load-image <archive...>')
    .description(
      "import image archives (docker-archive tars, as `make image` writes) into every node's containerd",
    )
    .action((archives: string[]) => {
      requireRoot();
      const nodes = loadImages(labPaths(loadVersions()), archives);
      log(`loaded ${archives.length} image archive(s) into ${nodes.join(', ')}`);
    });

  lab
    .command('kubeconfig')
    .description("print the path of the lab's kubeconfig")
    .action(() => {
      process.stdout.write(`${labPaths(loadVersions()).kubeconfig}\n`);
    });

  lab
    .command('faults')
    .description('list the faults the lab can inject (--shapes: the shapes `break --random` draws from)')
    .option('-o, --output <format>', 'text or json', 'text')
    .option('--shapes', "list the randomized generator's shapes instead, with layer and root cause")
    .action((o: { output: string; shapes?: boolean }) => {
      const rows = o.shapes
        ? listShapes().map((x) => ({ ...x, line: `${x.id.padEnd(46)}${x.layer.padEnd(9)}${x.category}` }))
        : listFaults().map((x) => ({
            ...x,
            line: `${x.id.padEnd(30)}${x.summary}${x.proxyMode ? ` (${x.proxyMode} mode only)` : ''}`,
          }));
      process.stdout.write(
        o.output === 'json'
          ? `${JSON.stringify(
              rows.map(({ line: _, ...r }) => r),
              null,
              2,
            )}\n`
          : `${rows.map((r) => r.line).join('\n')}\n`,
      );
    });

  lab
    .command('break [fault]')
    .description(
      'inject a fault the way the real outage happens; --random composes one from a seed and prints what a right diagnosis says',
    )
    .option('--node <name>', 'the node to break (default: a worker; a random fault picks its own)')
    .option('--random', 'a fault generated from --seed (or a fresh seed), across every layer')
    .option(
      '--seed <n>',
      'the seed of a --random fault (same seed, same fault)',
      count({ min: 0, max: 2 ** 31 - 1 }),
    )
    .option('-o, --output <format>', "text or json (the random fault's ground truth)", 'text')
    .action(
      async (
        fault: string | undefined,
        o: { node?: string; random?: boolean; seed?: number; output: string },
      ) => {
        requireRoot();
        if ((fault === undefined) === (o.random !== true)) {
          throw new NetdoctorError('usage', 'name one fault, or pass --random (with --seed N to repeat one)');
        }
        if (o.seed !== undefined && !o.random) throw new NetdoctorError('usage', '--seed goes with --random');
        const paths = labPaths(loadVersions());
        if (o.random) {
          const r = await breakRandom(paths, o.seed ?? freshSeed());
          if (o.output === 'json') process.stdout.write(`${JSON.stringify(r, null, 2)}\n`);
          const subject = r.truth.subjects.map((x) => `${x.kind} ${x.name}`).join(' or ') || 'any subject';
          log(`broke ${r.id} (${r.truth.shape}): ${r.summary}`);
          log(`a right diagnosis names ${r.truth.category} on ${subject}`);
          return;
        }
        const r = await breakFault(paths, fault ?? '', o.node);
        log(`broke ${r.id}${r.node ? ` on ${r.node}` : ''}`);
      },
    );

  lab
    .command('heal')
    .description('undo every fault in force')
    .action(async () => {
      requireRoot();
      const { healed, residue } = await healFaults(labPaths(loadVersions()));
      if (healed.length === 0 && residue.length === 0) log('no fault in force');
      else if (healed.length > 0) log(`healed ${healed.join(', ')} (nothing of them left)`);
      if (residue.length > 0)
        throw new NetdoctorError(
          'lab',
          `heal left residue: ${residue.map((r) => `${r.fault}: ${r.left.join('; ')}`).join(' | ')}`,
          { suggestions: ['netdoctor lab heal (again)', 'netdoctor lab down && netdoctor lab up'] },
        );
    });
}
