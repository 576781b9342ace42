/**
 * Seed 001 CNI-agent step: a deleted CNI DaemonSet is created again from the last known manifest
 * (--manifest FILE, or the DaemonSet as an earlier bundle recorded it: manifest-source.ts). Without
 * one it refuses: netdoctor never guesses a CNI manifest or fetches one from the internet.
 */
import { repairCni } from '../../cni/index.ts';
import type { RepairStep } from '../step.ts';
import {
  basePlan,
  planned,
  pollUntil,
  rolloutState,
  runUndo,
  stripServerFields,
  toYaml,
} from '../step-kit.ts';

/** What apply needs: the DaemonSet to create, from the manifest. */
type Params = { namespace: string; name: string; body: object };

interface ManifestObject {
  kind?: string;
  metadata?: { name?: string; namespace?: string };
}

export const reinstallCni: RepairStep<Params> = {
  id: 'reinstall-cni',
  title: 'Reinstall the missing CNI DaemonSet from its last known manifest',
  phase: 'cni-agent',
  order: 30,
  handles: ['cni.daemonset-missing'],
  plan(input) {
    const subject = input.causes[0]?.subject;
    const manifest = input.options.manifest;
    const cni = repairCni(input.snapshot);
    if (!manifest) {
      return {
        status: 'refused',
        reason:
          'reinstalling the CNI needs its last known manifest: pass --manifest FILE, or --manifest BUNDLE with an earlier netdoctor bundle (directory or .tar.gz) recorded while the DaemonSet existed',
        manualCommands: [
          `netdoctor fix --manifest ${cni.repair.manifestFile}`,
          'netdoctor fix --manifest <earlier-bundle-dir-or.tar.gz>',
        ],
      };
    }
    const ds = (manifest.objects as ManifestObject[]).find(
      (o) => o.kind === 'DaemonSet' && (!subject || o.metadata?.name === subject.name),
    );
    if (!ds?.metadata?.name) {
      return {
        status: 'refused',
        reason: `${manifest.source} holds no DaemonSet${subject ? ` named ${subject.name}` : ''}`,
      };
    }
    const namespace = ds.metadata.namespace ?? subject?.namespace ?? cni.agent.namespace;
    const body = stripServerFields({
      ...ds,
      apiVersion: 'apps/v1',
      kind: 'DaemonSet',
      metadata: { ...ds.metadata, namespace },
    }) as object;
    const plan = basePlan(reinstallCni, input);
    plan.objectChanges.push({
      kind: 'DaemonSet',
      namespace,
      name: ds.metadata.name,
      action: 'create',
      body,
      before: '',
      after: toYaml(body),
      why: `recreate from ${manifest.source}`,
    });
    const params: Params = { namespace, name: ds.metadata.name, body };
    plan.verification = `DaemonSet ${namespace}/${ds.metadata.name} exists and every scheduled pod is Ready`;
    plan.rollback = `delete the DaemonSet this step created (kubectl -n ${namespace} delete daemonset ${ds.metadata.name})`;
    plan.notes.push(
      `only the DaemonSet is created; its ConfigMap, ServiceAccount and RBAC must still exist in ${namespace}`,
    );
    return planned(plan, params);
  },
  preconditions(plan) {
    const ns = plan.params.namespace;
    const name = plan.params.name;
    return [
      {
        what: `DaemonSet ${ns}/${name} is still absent`,
        async run(exec) {
          return (await exec.port.readObject('DaemonSet', ns, name))
            ? { status: 'failed', reason: `DaemonSet ${ns}/${name} exists again: re-run diagnose` }
            : { status: 'ok' };
        },
      },
    ];
  },
  async apply(exec, plan) {
    const ns = plan.params.namespace;
    const name = plan.params.name;
    await exec.port.createObject('DaemonSet', ns, plan.params.body);
    return {
      status: 'applied',
      step: plan.step,
      actions: [
        {
          target: `DaemonSet ${ns}/${name}`,
          command: 'create',
          after: toYaml(plan.params.body),
          result: 'created',
        },
      ],
      undo: [{ type: 'delete', kind: 'DaemonSet', namespace: ns, name }],
      facts: {},
    };
  },
  async verify(exec, _record, plan) {
    const ns = plan.params.namespace;
    const name = plan.params.name;
    return pollUntil(exec, async () =>
      rolloutState('DaemonSet', await exec.port.readObject('DaemonSet', ns, name)),
    );
  },
  rollback: runUndo,
};
