import type { Command } from 'commander';
import { classifyApiError } from '../../cluster/api-error.ts';
import { KubePort, loadKubeConfig } from '../../cluster/kube-port.ts';
import { ownedSelector } from '../../cluster/owned-labels.ts';
import type { ClusterPort } from '../../cluster/port.ts';
import { NetdoctorError } from '../../core/errors.ts';

interface Owned {
  metadata?: { name?: string; namespace?: string };
}

/** Deletes every pod and Service carrying netdoctor's owned labels; returns what it removed. */
export async function cleanupOwned(port: ClusterPort): Promise<{ pods: string[]; services: string[] }> {
  const selector = ownedSelector();
  const listed = async (what: string, fn: () => Promise<unknown[]>): Promise<Owned[]> => {
    try {
      return (await fn()) as Owned[];
    } catch (err) {
      const { reason, detail } = classifyApiError(err);
      throw new NetdoctorError(
        reason === 'forbidden' ? 'forbidden' : 'cluster-unreachable',
        `cannot list netdoctor's ${what} on ${port.target.server}: ${detail}`,
        {
          cause: err,
          suggestions: [
            'check --kubeconfig and --context',
            'cleanup needs list and delete on pods and services',
          ],
        },
      );
    }
  };
  const [pods, services] = await Promise.all([
    listed('pods', () => port.listPods(undefined, selector)),
    listed('services', () => port.listServices(undefined, selector)),
  ]);
  const name = (o: Owned): string => `${o.metadata?.namespace ?? ''}/${o.metadata?.name ?? ''}`;
  await Promise.all([
    ...pods.map((p) => port.deletePod(p.metadata?.namespace ?? '', p.metadata?.name ?? '')),
    ...services.map((s) => port.deleteService(s.metadata?.namespace ?? '', s.metadata?.name ?? '')),
  ]);
  return { pods: pods.map(name), services: services.map(name) };
}

/** `netdoctor cleanup`: removes agent and probe objects an interrupted run left behind. */
export function registerCleanup(program: Command): void {
  program
    .command('cleanup')
    .description('delete every pod and Service netdoctor created (found by its labels)')
    .option('--kubeconfig <path>', 'kubeconfig file')
    .option('--context <name>', 'kubeconfig context')
    .action(async (flags: { kubeconfig?: string; context?: string }) => {
      const port = new KubePort(
        loadKubeConfig({
          ...(flags.kubeconfig ? { kubeconfig: flags.kubeconfig } : {}),
          ...(flags.context ? { context: flags.context } : {}),
        }),
      );
      const removed = await cleanupOwned(port);
      const lines = [
        ...removed.pods.map((p) => `deleted pod ${p}`),
        ...removed.services.map((s) => `deleted service ${s}`),
      ];
      process.stdout.write(lines.length > 0 ? `${lines.join('\n')}\n` : 'nothing to clean up\n');
    });
}
