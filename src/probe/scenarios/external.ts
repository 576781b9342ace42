import type { Scenario } from '../types.ts';

export const NO_EXTERNAL_TARGET = 'no external target configured (air-gapped clusters)';

/** Egress from each node's pods to a configured URL outside the cluster (masquerade, forwarding). */
export const external: Scenario = {
  id: 'external',
  description: 'HTTP from a pod on each node to a configured URL outside the cluster',
  plan: (input, from) => {
    const url = input.externalTarget;
    let host = '';
    let port = 80;
    if (url) {
      try {
        const u = new URL(url);
        host = u.hostname;
        port = u.port ? Number(u.port) : u.protocol === 'https:' ? 443 : 80;
      } catch {
        host = '';
      }
    }
    const ip = /^\d+\.\d+\.\d+\.\d+$/.test(host) ? host : '';
    return [
      {
        scenario: 'external',
        from: from.name,
        to: 'http',
        target: { kind: 'fixed', ip },
        command: { kind: 'http', port, path: '/', tries: 1, ...(url ? { url } : {}) },
        protocol: 'tcp',
        name: url ?? '',
        ...(url
          ? host
            ? {}
            : { skip: `external target is not a URL: ${url}` }
          : { skip: NO_EXTERNAL_TARGET }),
      },
    ];
  },
};
