/** The source-pod hop: the pod (or address) the packet starts from, and the node it runs on. */
import { CLUSTER_FILES } from '../../collect/bundle/layout.ts';
import type { Evidence } from '../../core/model.ts';
import type { ResolvedEndpoint } from '../trace-cluster.ts';
import type { Walk } from './walk.ts';

/** Where the packet starts; false when it starts nowhere the snapshot can follow. */
export function sourceHop(w: Walk, from: ResolvedEndpoint): boolean {
  const ev: Evidence[] = [];
  if (from.pod) {
    ev.push({
      source: `${CLUSTER_FILES.pods}#${from.podKey}`,
      observed: `podIP=${from.pod.status.podIP ?? '(none)'} nodeName=${from.pod.spec.nodeName ?? '(none)'} phase=${from.pod.status.phase ?? '?'}`,
    });
    if (!from.ip || !from.node) {
      return w.add({
        kind: 'source-pod',
        status: 'broken',
        pod: from.podKey!,
        ip: from.ip,
        hostNetwork: from.hostNetwork,
        summary: `${from.podKey} has no ${from.ip ? 'node' : 'IP address'}`,
        reason: `${from.podKey} is not running anywhere (phase ${from.pod.status.phase ?? 'unknown'}): it has no ${from.ip ? 'node' : 'IP address'}`,
        evidence: ev,
      });
    }
  }
  if (!from.node) {
    w.add({
      kind: 'source-pod',
      status: 'unknown',
      ip: from.ip,
      hostNetwork: false,
      summary: `${from.ip} is not a pod, a node or inside any node's pod subnet`,
      reason: `${from.ip} belongs to no node of the snapshot, so the path cannot be followed`,
      evidence: ev,
    });
    return false;
  }
  return w.add({
    kind: 'source-pod',
    status: 'ok',
    node: from.node,
    ...(from.podKey ? { pod: from.podKey } : {}),
    ip: from.ip,
    hostNetwork: from.hostNetwork,
    summary: `${from.podKey ?? from.ip}${from.podKey ? ` (${from.ip})` : ''} on ${from.node}${from.hostNetwork ? ', host network' : ''}`,
    evidence: ev,
  });
}
