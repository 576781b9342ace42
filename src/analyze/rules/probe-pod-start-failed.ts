import type { Finding } from '../../core/model.ts';
import type { ProbePodFailure } from '../../core/probe-types.ts';
import type { Rule } from '../rule.ts';
import { listSome, makeFinding } from './support/datapath.ts';

/** The first line of a kubelet message, kept short for a summary. */
function firstLine(s: string, max = 240): string {
  const line = s.split('\n', 1)[0] ?? '';
  return line.length > max ? `${line.slice(0, max - 1)}…` : line;
}

function byNode(failures: readonly ProbePodFailure[]): Map<string, ProbePodFailure[]> {
  const out = new Map<string, ProbePodFailure[]>();
  for (const f of failures) {
    const list = out.get(f.node);
    if (list) list.push(f);
    else out.set(f.node, [f]);
  }
  return new Map([...out].sort(([a], [b]) => (a < b ? -1 : 1)));
}

/**
 * Probe pods that never started on a node are an observation about that node: when the kubelet
 * cannot set up a pod's sandbox, no new pod there gets a network (the CNI config is missing or
 * broken, the bridge carries the wrong address, the CNI agent is down).
 */
export const probePodStartFailed: Rule = {
  id: 'probe-pod-start-failed',
  layer: 'cni',
  needs: { probes: true },
  title: 'Pods can start and get a network on every node',
  why: 'A node where the kubelet cannot give a pod a network takes no new workload: every pod scheduled there stays ContainerCreating, and the probes that would have shown more never run.',
  run: (ctx): Finding[] => {
    const failures = (ctx.snapshot.probes?.podFailures ?? []).filter((f) => f.kind !== 'image');
    const out: Finding[] = [];
    for (const [node, fs] of byNode(failures)) {
      const network = fs.filter((f) => f.kind === 'network');
      const shown = network.length > 0 ? network : fs;
      const first = shown[0] as ProbePodFailure;
      const evidence = shown.slice(0, 4).map((f) => ({
        source: `probes/results.json#podFailures/${f.pod}`,
        observed: `${f.role} pod ${f.pod}: ${f.reason}: ${firstLine(f.message, 400)}`,
        expected: 'the pod starts and gets an IP on the pod network',
      }));
      const pods = listSome(
        shown.map((f) => f.pod),
        4,
      );
      out.push(
        makeFinding(
          probePodStartFailed,
          { kind: 'Node', name: node },
          network.length > 0
            ? {
                severity: 'error',
                summary: `${node}: pods cannot get a network (${first.reason}: ${firstLine(first.message)})`,
                evidence,
                symptom: { kind: 'pod-network-failed', nodes: [node] },
                nextCommands: [
                  `kubectl get events -A --field-selector reason=FailedCreatePodSandBox,source=kubelet`,
                  `kubectl describe pod ${first.pod}`,
                  'ls -l /etc/cni/net.d; ip addr show cni0',
                ],
              }
            : {
                severity: 'warning',
                summary: `${node}: probe pods cannot start (${first.reason}: ${firstLine(first.message)}); pods ${pods}`,
                evidence,
                nextCommands: [`kubectl describe pod ${first.pod}`],
              },
        ),
      );
    }
    return out;
  },
};
