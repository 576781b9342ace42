/** `netdoctor lab ...`: the one-machine multi-node cluster netdoctor is tested on. */
import type { Command } from 'commander';
import { NetdoctorError } from '../../core/errors.ts';
import { labDown } from '../../lab/down.ts';
import { breakFault, healFaults, listFaults } from '../../lab/fault-runner.ts';
import { labPaths } from '../../lab/paths.ts';
import { labStatus, renderStatus } from '../../lab/status.ts';
import { labUp } from '../../lab/up.ts';
import { loadVersions } from '../../lab/versions.ts';

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
    .option('--nodes <n>', 'number of nodes', '3')
    .option('--timeout <seconds>', 'how long to wait for Ready', '420')
    .action(async (o: { nodes: string; timeout: string }) => {
      requireRoot();
      const v = loadVersions();
      const paths = labPaths(v);
      const r = await labUp(paths, v, { nodes: Number(o.nodes), timeoutSeconds: Number(o.timeout), log });
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
    .command('kubeconfig')
    .description("print the path of the lab's kubeconfig")
    .action(() => {
      process.stdout.write(`${labPaths(loadVersions()).kubeconfig}\n`);
    });

  lab
    .command('faults')
    .description('list the faults the lab can inject')
    .option('-o, --output <format>', 'text or json', 'text')
    .action((o: { output: string }) => {
      const f = listFaults();
      process.stdout.write(
        o.output === 'json'
          ? `${JSON.stringify(f, null, 2)}\n`
          : f.map((x) => `${x.id.padEnd(30)}${x.summary}`).join('\n') + '\n',
      );
    });

  lab
    .command('break <fault>')
    .description('inject a fault the way the real outage happens')
    .option('--node <name>', 'the node to break (default: a worker)')
    .action(async (fault: string, o: { node?: string }) => {
      requireRoot();
      const r = await breakFault(labPaths(loadVersions()), fault, o.node);
      log(`broke ${r.id}${r.node ? ` on ${r.node}` : ''}`);
    });

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
