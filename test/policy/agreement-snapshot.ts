import type { K8sPod } from '../../src/core/cluster-types.ts';
import type { Snapshot } from '../../src/core/model.ts';
import { materializePolicies, SUITE_NAMESPACES, SUITE_PODS } from './agreement-suite.ts';
import { ns, snapshot } from './fixture.ts';

export const SUITE_POD_CIDR = '10.244.0.0/16';

/** The suite as a snapshot with synthetic addresses, for running it against the evaluator offline. */
export function suiteSnapshot(): Snapshot {
  const podIps: Record<string, string> = {};
  const pods: K8sPod[] = SUITE_PODS.map((p, i) => {
    const ip = `10.244.${1 + (i % 3)}.${10 + i}`;
    podIps[`${p.namespace}/${p.name}`] = ip;
    return {
      metadata: { namespace: p.namespace, name: p.name, labels: p.labels },
      spec: { nodeName: `node-${1 + (i % 3)}`, containers: [{ name: 'listener', ports: p.ports }] },
      status: { phase: 'Running', podIP: ip, hostIP: `192.168.0.${11 + (i % 3)}` },
    };
  });
  return snapshot({
    namespaces: SUITE_NAMESPACES.map((n) => ns(n.name, n.labels)),
    pods,
    policies: materializePolicies({ podCidr: SUITE_POD_CIDR, podIps }),
  });
}
