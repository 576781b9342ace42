import { CNI_ADAPTERS } from '../../cni/index.ts';
import { causeFinding } from '../finding.ts';
import { STEP } from '../remediation.ts';
import type { Rule } from '../rule.ts';

/** `flannel|calico|cilium`: every known agent, for a grep over DaemonSets. */
const AGENT_GREP = CNI_ADAPTERS.map((a) => a.id).join('|');

/** The CNI's DaemonSet is gone: no node gets routes or overlay entries for new peers or pods. */
export const cniDaemonsetMissing: Rule = {
  id: 'cni-daemonset-missing',
  layer: 'cni',
  needs: { cluster: ['daemonSets', 'pods', 'nodes', 'configMaps'] },
  title: 'CNI DaemonSet exists',
  why: 'Without its DaemonSet the CNI agent runs nowhere: pods get no network, peers no routes, and DNS and Services fail in cascade.',
  appliesTo: ({ index }) =>
    index.cni === 'unknown'
      ? {
          applies: false,
          reason: 'no CNI detected (no known DaemonSet, pods, ConfigMap, node config or annotations)',
        }
      : { applies: true },
  run: ({ snapshot, index }) => {
    const cni = index.cniAdapter;
    if (!cni || index.cniDaemonSet) return [];
    // k3s runs flannel inside its own binary: no DaemonSet is expected there.
    const embedded = snapshot.cluster.nodes.some((n) =>
      /\+k3s/.test(n.status.nodeInfo?.kubeletVersion ?? ''),
    );
    if (embedded) return [];
    const name = cni.agent.daemonSet;
    const orphans = index.cniPods.length;
    return [
      causeFinding(
        cniDaemonsetMissing,
        {
          subject: {
            kind: 'DaemonSet',
            namespace: cni.agent.namespace,
            name,
          },
          severity: 'critical',
          summary: `The ${index.cni} DaemonSet does not exist${orphans > 0 ? ` (${orphans} orphaned agent pods remain)` : ''}; the CNI agent is not managed on any node`,
          evidence: [
            {
              source: 'cluster/daemonsets.json',
              observed: `no ${index.cni} DaemonSet among ${snapshot.cluster.daemonSets.length} DaemonSets`,
              expected: `a ${name} DaemonSet scheduling one agent per node`,
            },
          ],
          nextCommands: [`kubectl get ds -A | grep -Ei "${AGENT_GREP}"`, cni.repair.reinstallHint],
        },
        {
          category: 'cni.daemonset-missing',
          confidence: orphans > 0 ? 0.85 : 0.95,
          remediation: [STEP.reinstallCni],
        },
      ),
    ];
  },
};
