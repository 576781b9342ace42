/** Reading the namespaces and NetworkPolicies the emergency bypass and its revert plan from. */
import { classifyApiError } from '../../cluster/api-error.ts';
import type { ClusterPort } from '../../cluster/port.ts';
import { NetdoctorError } from '../../core/errors.ts';
import { asWirePolicy, type WirePolicy } from './policy-canon.ts';

/** The same as the caller's options object: how the CLI asks and prints. */
export interface EmergencyIo {
  out(text: string): void;
  nonInteractive: boolean;
  /** Asks the person; only called when not non-interactive. */
  confirm?: (question: string) => Promise<boolean>;
  now?: () => Date;
}

/** Wraps a failed API call in the error the person can act on (exit 3). */
export async function api<T>(port: ClusterPort, what: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (err) {
    const { reason, detail } = classifyApiError(err);
    throw new NetdoctorError(
      reason === 'forbidden' ? 'forbidden' : 'cluster-unreachable',
      `cannot ${what} on ${port.target.server}: ${detail}`,
      {
        cause: err,
        suggestions: [
          'check --kubeconfig and --context',
          'the bypass needs get, list, create and delete on networkpolicies',
        ],
      },
    );
  }
}

/**
 * Which of `namespaces` exist, and the policies of each that does, exactly as listed. A
 * namespace that does not exist has no entry in `live`.
 */
export async function readLivePolicies(
  port: ClusterPort,
  namespaces: readonly string[],
): Promise<{ existing: Set<string>; live: Map<string, WirePolicy[]> }> {
  const all = (await api(port, 'list namespaces', () => port.list('namespaces'))) as {
    metadata?: { name?: string };
  }[];
  const existing = new Set(all.map((n) => n.metadata?.name ?? ''));
  const present = namespaces.filter((n) => existing.has(n));
  const live = new Map<string, WirePolicy[]>(present.map((n) => [n, []]));
  if (present.length === 0) return { existing, live };
  const listed = await api(port, `list the NetworkPolicies of ${present.join(', ')}`, () =>
    port.list('networkPolicies', { namespaces: present }),
  );
  for (const item of listed) {
    const p = asWirePolicy(item);
    if ('error' in p)
      throw new NetdoctorError('internal', `the API returned a NetworkPolicy that reads as none: ${p.error}`);
    live.get(p.metadata.namespace ?? '')?.push(p);
  }
  return { existing, live };
}
