/** Seed 001: the flannel DaemonSet is deleted (a cleanup script, a bad `kubectl delete -f`). */
import { FLANNEL_DAEMONSET, FLANNEL_NAMESPACE } from '../addons/flannel.ts';
import type { Fault } from './fault.ts';

export const flannelDaemonsetDeleted: Fault = {
  id: 'flannel-daemonset-deleted',
  summary: 'delete the flannel DaemonSet (its agents go away with it)',
  expectedRootCause: 'cni.daemonset-missing',
  scope: 'cluster',
  inject: async (ctx) => {
    ctx.kubectl(['-n', FLANNEL_NAMESPACE, 'delete', 'daemonset', FLANNEL_DAEMONSET, '--wait=true']);
    return {};
  },
  heal: async (ctx) => {
    ctx.reapplyAddon('flannel');
    ctx.kubectl(['-n', FLANNEL_NAMESPACE, 'rollout', 'status', `ds/${FLANNEL_DAEMONSET}`, '--timeout=180s']);
  },
  residue: (ctx) =>
    ctx.tryKubectl(['-n', FLANNEL_NAMESPACE, 'get', 'daemonset', FLANNEL_DAEMONSET]).code === 0
      ? []
      : [`DaemonSet ${FLANNEL_NAMESPACE}/${FLANNEL_DAEMONSET} is missing`],
};
