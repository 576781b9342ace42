/**
 * The lab's catalog faults, as shapes: the generator places them on any node, so the catalog's
 * own outages are part of every accuracy run beside their variants.
 */
import { LAYERS, type Layer, type RootCauseCategory } from '../../../core/model.ts';
import { corednsUpstreamUnreachable } from '../../faults/coredns-upstream-unreachable.ts';
import { dnsEgressBlockedByPolicy } from '../../faults/dns-egress-blocked-by-policy.ts';
import type { Fault } from '../../faults/fault.ts';
import { flannelDaemonsetDeleted } from '../../faults/flannel-daemonset-deleted.ts';
import { FAULTS } from '../../faults/index.ts';
import { kubeProxyCrashloop } from '../../faults/kube-proxy-crashloop.ts';
import { serviceSelectorTypo } from '../../faults/service-selector-typo.ts';
import { type Shape, type TruthSubject, theNode } from '../shape.ts';

/** What a cluster-scoped catalog fault must be diagnosed on; empty: any subject. */
const CLUSTER_SUBJECTS = new Map<Fault, TruthSubject[]>([
  [kubeProxyCrashloop, []],
  [flannelDaemonsetDeleted, [{ kind: 'DaemonSet', name: 'kube-flannel-ds' }]],
  [corednsUpstreamUnreachable, [{ kind: 'ConfigMap', name: 'coredns' }]],
  [dnsEgressBlockedByPolicy, []],
  [serviceSelectorTypo, [{ kind: 'Service', name: 'web' }]],
]);

/** A category's layer is its prefix (`overlay.port-blocked` → overlay); `network.*` is the node's. */
function layerOf(category: RootCauseCategory): Layer {
  const prefix = category.split('.')[0];
  return LAYERS.find((l) => l === prefix) ?? 'node';
}

function catalogShape(f: Fault): Shape {
  const category = f.expectedRootCause;
  const layer = layerOf(category);
  return {
    id: `catalog/${f.id}`,
    layer,
    category,
    scope: f.scope,
    subjects: f.scope === 'node' ? theNode : () => CLUSTER_SUBJECTS.get(f) ?? [],
    summary: (node) => (f.scope === 'node' ? `${f.summary} (${node.name})` : f.summary),
    inject: f.inject,
    heal: f.heal,
    residue: f.residue,
  };
}

export const CATALOG_SHAPES: Shape[] = FAULTS.map(catalogShape);
