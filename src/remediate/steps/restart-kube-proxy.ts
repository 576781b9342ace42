/**
 * Seed 001 kube-proxy step: rollout restart of the kube-proxy DaemonSet, preceded by a config
 * fix when its logs name a bad `mode` in its ConfigMap (the crash-loop of the catalog).
 */
import type { Snapshot } from '../../core/model.ts';
import { applyRestart, type RolloutTarget, restartChange, targetExists, verifyRollout } from '../rollout.ts';
import type { AppliedAction, Check, RepairStep, UndoAction } from '../step.ts';
import { basePlan, planned, runUndo, toYaml } from '../step-kit.ts';

/** What apply needs: the kube-proxy DaemonSet, and whether its mode is fixed first. */
type Params = { target: RolloutTarget; fixMode: boolean; mode?: string };

const VALID_MODES = ['', 'iptables', 'ipvs', 'nftables', 'kernelspace'];
const CONFIG_KEY = 'config.conf';

/** The invalid `mode:` in the kube-proxy config, when its logs name it. */
export function badProxyMode(snapshot: Snapshot, config: string): string | undefined {
  const m = /^mode:\s*"?([^"\s]*)"?\s*$/m.exec(config);
  const mode = m?.[1];
  if (mode === undefined || VALID_MODES.includes(mode)) return undefined;
  const logs = Object.entries(snapshot.cluster.logs).filter(([k]) => k.startsWith('kube-system/kube-proxy'));
  return logs.some(([, text]) => text.includes(mode)) ? mode : undefined;
}

/** The modes a broken `mode:` is put back to: the ones kube-proxy runs on Linux. */
const REPAIR_MODES = ['iptables', 'nftables', 'ipvs'] as const;

function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++)
      row[j] = Math.min(prev[j]! + 1, row[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    prev = row;
  }
  return prev[b.length]!;
}

/**
 * The mode a typo meant: the valid mode nearest in spelling (`nftable` is nftables, `iptable`
 * iptables), iptables when none is near. Never a switch of mode: putting an nftables cluster's
 * kube-proxy back in iptables mode would be a second change nobody asked for.
 */
export function intendedMode(bad: string): (typeof REPAIR_MODES)[number] {
  let best: (typeof REPAIR_MODES)[number] = 'iptables';
  let bestDistance = Number.POSITIVE_INFINITY;
  for (const m of REPAIR_MODES) {
    const d = editDistance(bad.toLowerCase(), m);
    if (d < bestDistance) {
      best = m;
      bestDistance = d;
    }
  }
  return bestDistance <= 2 ? best : 'iptables';
}

export function fixModeLine(config: string, bad: string): string {
  return config.replace(/^mode:.*$/m, `mode: ${intendedMode(bad)}`);
}

export const restartKubeProxy: RepairStep<Params> = {
  id: 'restart-kube-proxy',
  title: 'Restart kube-proxy (and fix its config when its logs name the error)',
  phase: 'kube-proxy',
  order: 40,
  // kube-proxy (1.29+) deletes the other mode's rules when it starts, so a restart clears a stale set.
  handles: ['proxy.not-ready', 'proxy.rules-missing', 'proxy.stale-ruleset'],
  plan(input) {
    const ds = input.snapshot.cluster.daemonSets.find((d) => d.metadata.name === 'kube-proxy');
    if (!ds)
      return {
        status: 'refused',
        reason: 'no kube-proxy DaemonSet in the snapshot (kube-proxy replacement or a static pod)',
      };
    const t: RolloutTarget = {
      kind: 'DaemonSet',
      namespace: ds.metadata.namespace ?? 'kube-system',
      name: ds.metadata.name,
    };
    const plan = basePlan(restartKubeProxy, input);
    const cm = input.snapshot.cluster.configMaps.find(
      (c) => c.metadata.name === 'kube-proxy' && c.metadata.namespace === t.namespace,
    );
    const config = cm?.data?.[CONFIG_KEY];
    const bad = config !== undefined ? badProxyMode(input.snapshot, config) : undefined;
    if (config !== undefined && bad !== undefined) {
      const fixed = fixModeLine(config, bad);
      plan.objectChanges.push({
        kind: 'ConfigMap',
        namespace: t.namespace,
        name: 'kube-proxy',
        action: 'patch',
        patch: { data: { [CONFIG_KEY]: fixed } },
        patchType: 'merge',
        before: toYaml({ data: { [CONFIG_KEY]: config } }),
        after: toYaml({ data: { [CONFIG_KEY]: fixed } }),
        why: `kube-proxy's logs name mode "${bad}", which kube-proxy rejects; "${intendedMode(bad)}" is the mode it spells`,
      });
    }
    plan.objectChanges.push(restartChange(t, ds, 'pods pick up their config and reprogram service rules'));
    const params: Params = {
      target: t,
      fixMode: bad !== undefined,
      ...(bad !== undefined ? { mode: bad } : {}),
    };
    plan.verification = `DaemonSet ${t.namespace}/${t.name} rolls out: every pod updated, Ready and available`;
    plan.rollback = `${bad !== undefined ? 'restore the ConfigMap config.conf as it was, then ' : ''}put the pod template's restartedAt annotation back`;
    return planned(plan, params);
  },
  preconditions(plan) {
    const t = plan.params.target;
    const checks: Check[] = [targetExists(t)];
    if (plan.params.fixMode) {
      checks.push({
        what: `ConfigMap ${t.namespace}/kube-proxy readable`,
        async run(exec) {
          return (await exec.port.readObject('ConfigMap', t.namespace, 'kube-proxy'))
            ? ({ status: 'ok' } as const)
            : { status: 'failed', reason: 'ConfigMap kube-proxy not found' };
        },
      });
    }
    return checks;
  },
  async apply(exec, plan) {
    const t = plan.params.target;
    const actions: AppliedAction[] = [];
    const undo: UndoAction[] = [];
    if (plan.params.fixMode) {
      const cm = (await exec.port.readObject('ConfigMap', t.namespace, 'kube-proxy')) as
        | { data?: Record<string, string> }
        | undefined;
      const old = cm?.data?.[CONFIG_KEY];
      const bad = plan.params.mode ?? '';
      if (old !== undefined && fixModeLine(old, bad) !== old) {
        await exec.port.patchObject(
          'ConfigMap',
          t.namespace,
          'kube-proxy',
          { data: { [CONFIG_KEY]: fixModeLine(old, bad) } },
          'merge',
        );
        undo.push({
          type: 'patch',
          kind: 'ConfigMap',
          namespace: t.namespace,
          name: 'kube-proxy',
          patch: { data: { [CONFIG_KEY]: old } },
          patchType: 'merge',
        });
        actions.push({
          target: `ConfigMap ${t.namespace}/kube-proxy`,
          command: 'patch config.conf mode',
          before: old,
          after: fixModeLine(old, bad),
          result: 'patched',
        });
      }
    }
    const r = await applyRestart(exec, t, new Date());
    actions.push(r.action);
    undo.push(r.undo);
    return { status: 'applied', step: plan.step, actions, undo, facts: {} };
  },
  verify: (exec, _record, plan) => verifyRollout(exec, plan.params.target),
  rollback: runUndo,
};
