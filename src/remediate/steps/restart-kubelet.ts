/** A NotReady node cannot run netdoctor's node pod, so the kubelet restart is left to a person. */
import { manualStep } from '../manual-step.ts';

export const restartKubelet = manualStep({
  id: 'restart-kubelet',
  title: 'Restart the kubelet on a NotReady node',
  phase: 'system',
  order: 5,
  handles: ['node.not-ready'],
  reason: (i) =>
    `a NotReady node cannot run a repair pod; restart its kubelet from the node itself (${i.causes.map((c) => c.subject.name).join(', ')})`,
  commands: (i) => i.causes.map((c) => `ssh ${c.subject.name} sudo systemctl restart kubelet`),
});
