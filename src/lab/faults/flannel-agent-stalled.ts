/**
 * Seed 004's case: the flannel agent on one node stalls (frozen, its pod still Running) and the
 * node loses its routes to the other nodes' pod subnets, so DNS and cross-node traffic time out.
 */
import type { Fault } from './fault.ts';

/** pids of flanneld processes in the node's network namespace. */
export const FLANNELD_PIDS = `for d in /proc/[0-9]*; do
  [ "$(cat $d/comm 2>/dev/null)" = flanneld ] || continue
  [ "$(readlink $d/ns/net)" = "$(readlink /proc/self/ns/net)" ] && echo \${d#/proc/}
done`;

export const flannelAgentStalled: Fault = {
  id: 'flannel-agent-stalled',
  summary: 'freeze flanneld on a node (pod stays Running) and flush its routes to peer pod subnets',
  expectedRootCause: 'cni.agent-stalled',
  scope: 'node',
  inject: async (ctx) => {
    const pids = ctx.onNode(ctx.node, FLANNELD_PIDS).trim().split('\n').filter(Boolean);
    ctx.onNode(ctx.node, `kill -STOP ${pids.join(' ')} && ip route flush dev flannel.1`);
    return { pids: pids.join(' ') };
  },
  heal: async (ctx, data) => {
    ctx.tryOnNode(ctx.node, `kill -CONT ${data['pids'] ?? ''}`);
    // A thawed agent does not replay routes it already programmed: restart it, as an operator would.
    ctx.kubectl([
      '-n',
      'kube-flannel',
      'delete',
      'pod',
      '-l',
      'app=flannel',
      '--field-selector',
      `spec.nodeName=${ctx.node.name}`,
      '--wait=true',
    ]);
    ctx.kubectl(['-n', 'kube-flannel', 'rollout', 'status', 'ds/kube-flannel-ds', '--timeout=120s']);
  },
  residue: (ctx) => {
    const out: string[] = [];
    const states = ctx
      .tryOnNode(ctx.node, `for p in $(${'{'}${FLANNELD_PIDS}${'}'}); do cut -d' ' -f3 /proc/$p/stat; done`)
      .stdout.split('\n')
      .filter(Boolean);
    if (states.includes('T')) out.push(`${ctx.node.name}: a flanneld is still stopped`);
    const peers = ctx.topology.nodes.length - 1;
    const routes = ctx
      .tryOnNode(ctx.node, 'ip -4 route show dev flannel.1')
      .stdout.split('\n')
      .filter(Boolean);
    if (routes.length < peers)
      out.push(`${ctx.node.name}: ${routes.length} of ${peers} peer routes on flannel.1`);
    return out;
  },
};
