/**
 * Seed 004 Service step, with consent only (--allow-app-change): a Service whose selector misses
 * its pods by one mistyped label value gets that one value spelled as the running pods spell it.
 * Application objects are their owners', so without consent, or when the diagnosis does not
 * point at exactly one candidate, it refuses and shows the near-miss and the command instead.
 */
import { nearMisses } from '../../analyze/service-selectors.ts';
import type { K8sEndpointSlice, K8sService } from '../../core/cluster-types.ts';
import type { RootCause, Snapshot } from '../../core/model.ts';
import type { AppliedAction, CauseRef, RepairStep, UndoAction } from '../step.ts';
import { basePlan, causeRef, planned, pollUntil, runUndo, shq, toYaml } from '../step-kit.ts';

/** What apply needs: each Service and its corrected selector. */
type Params = { targets: SelectorFix[] };

/** One Service selector entry to respell. */
export interface SelectorFix {
  namespace: string;
  name: string;
  key: string;
  from: string;
  to: string;
  /** The whole selector as diagnosed: the precondition checks nobody changed it since. */
  selector: Record<string, string>;
}

type Decision = { ok: true; fix: SelectorFix; near: string } | { ok: false; reason: string; near?: string };

const SERVICE_NAME_LABEL = 'kubernetes.io/service-name';

function where(c: RootCause): string {
  return `Service ${c.subject.namespace ?? 'default'}/${c.subject.name}`;
}

/** The merge patch that sets one selector entry (the rest of the selector is left alone). */
function selectorPatch(key: string, value: string): object {
  return { spec: { selector: { [key]: value } } };
}

/** `kubectl patch` for a fix, for the person to run by hand. */
export function kubectlPatch(f: SelectorFix): string {
  return `kubectl -n ${f.namespace} patch service ${f.name} --type=merge -p ${shq(JSON.stringify(selectorPatch(f.key, f.to)))}`;
}

/**
 * The one selector value to change for a cause, from the near-misses among the namespace's
 * running pods (a completed Job's pod must not steer a Service). More than one distinct
 * correction, or a misspelt key rather than a value, is not unambiguous enough to act on.
 */
export function decideSelectorFix(snapshot: Snapshot, cause: RootCause): Decision {
  const ns = cause.subject.namespace ?? 'default';
  const svc = snapshot.cluster.services.find(
    (s: K8sService) => (s.metadata.namespace ?? 'default') === ns && s.metadata.name === cause.subject.name,
  );
  const selector = svc?.spec.selector;
  if (!svc || !selector || Object.keys(selector).length === 0)
    return { ok: false, reason: `${where(cause)} or its selector is not in the snapshot` };
  const running = snapshot.cluster.pods.filter(
    (p) => (p.metadata.namespace ?? 'default') === ns && p.status.phase === 'Running',
  );
  const misses = nearMisses(selector, running);
  const distinct = new Map<string, (typeof misses)[number]>();
  for (const m of misses) distinct.set(JSON.stringify(m.correction), m);
  const cands = [...distinct.values()];
  const near = cands.map((m) => `pod ${m.pod.metadata.name} has ${m.difference}`).join('; ');
  if (cands.length === 0)
    return { ok: false, reason: `no running pod in ${ns} nearly matches the selector of ${where(cause)}` };
  if (cands.length > 1)
    return {
      ok: false,
      reason: `${where(cause)}: ${cands.length} different near-misses, so which one is meant is a guess: ${near}`,
      near,
    };
  const only = cands[0] as (typeof cands)[number];
  const c = only.correction;
  if (c.part !== 'value')
    return {
      ok: false,
      reason: `${where(cause)}: the near-miss is in a label key (${near}); netdoctor respells only a value`,
      near,
    };
  return {
    ok: true,
    near,
    fix: { namespace: ns, name: svc.metadata.name, key: c.key, from: c.from, to: c.to, selector },
  };
}

function sameSelector(a: Record<string, string> | undefined, b: Record<string, string>): boolean {
  const ka = Object.keys(a ?? {});
  return ka.length === Object.keys(b).length && ka.every((k) => a?.[k] === b[k]);
}

/** Endpoints of the Service that are ready (an unset `ready` means ready, as the API says). */
function readyAddresses(slices: K8sEndpointSlice[], name: string): string[] {
  return slices
    .filter((s) => s.metadata.labels?.[SERVICE_NAME_LABEL] === name)
    .flatMap((s) => s.endpoints ?? [])
    .filter((e) => e.conditions?.ready !== false)
    .flatMap((e) => e.addresses);
}

export const fixServiceSelector: RepairStep<Params> = {
  id: 'fix-service-selector',
  title: "Respell a Service selector's near-miss label value (consent needed)",
  phase: 'policy',
  order: 70,
  handles: ['service.no-endpoints'],
  plan(input) {
    const decisions = input.causes.map((c) => ({ cause: c, d: decideSelectorFix(input.snapshot, c) }));
    if (!input.options.allowAppChange) {
      return {
        status: 'refused',
        reason: `editing an application object needs explicit consent (--allow-app-change); the near-miss: ${input.causes.map((c) => c.summary).join('; ')}`,
        manualCommands: [
          'netdoctor fix --allow-app-change',
          ...decisions.map(({ cause, d }) =>
            d.ok
              ? kubectlPatch(d.fix)
              : `kubectl -n ${cause.subject.namespace ?? 'default'} edit service ${cause.subject.name}`,
          ),
        ],
      };
    }
    const fixes = decisions.filter((x) => x.d.ok);
    const refused = decisions.filter((x) => !x.d.ok);
    if (fixes.length === 0) {
      return {
        status: 'refused',
        reason: refused.map(({ d }) => (d.ok ? '' : d.reason)).join('; '),
        manualCommands: refused.map(
          ({ cause }) =>
            `kubectl -n ${cause.subject.namespace ?? 'default'} edit service ${cause.subject.name}`,
        ),
      };
    }
    const plan = basePlan(fixServiceSelector, input);
    plan.addresses = fixes.map(({ cause }): CauseRef => causeRef(cause));
    const targets: SelectorFix[] = [];
    for (const { d } of fixes) {
      if (!d.ok) continue;
      const f = d.fix;
      targets.push(f);
      plan.objectChanges.push({
        kind: 'Service',
        namespace: f.namespace,
        name: f.name,
        action: 'patch',
        patch: selectorPatch(f.key, f.to),
        patchType: 'merge',
        before: toYaml({ spec: { selector: f.selector } }),
        after: toYaml({ spec: { selector: { ...f.selector, [f.key]: f.to } } }),
        why: `${f.key}: ${f.from} -> ${f.to}, as the running pods are labelled (${d.near})`,
      });
    }
    // A cause this step could not decide is left alone, and says why, rather than blocking the rest.
    for (const { cause, d } of refused) {
      if (!d.ok)
        plan.notes.push(
          `not changed: ${d.reason}; by hand: kubectl -n ${cause.subject.namespace ?? 'default'} edit service ${cause.subject.name}`,
        );
    }
    const params: Params = { targets };
    plan.verification = `the EndpointSlices of ${targets.map((t) => `${t.namespace}/${t.name}`).join(', ')} list at least one ready address`;
    plan.rollback = `patch each selector value back (${targets.map((t) => `${t.key}: ${t.from}`).join(', ')})`;
    plan.notes.push(
      `revert by hand: ${targets.map((t) => kubectlPatch({ ...t, to: t.from })).join(' && ')}`,
      "the Service's owner (Helm chart, GitOps repository) must carry the same fix, or its next sync puts the typo back",
    );
    return planned(plan, params);
  },
  preconditions(plan) {
    return plan.params.targets.map((t) => ({
      what: `Service ${t.namespace}/${t.name} still has the diagnosed selector`,
      async run(exec) {
        const live = (await exec.port.readObject('Service', t.namespace, t.name)) as K8sService | undefined;
        if (!live) return { status: 'failed' as const, reason: `Service ${t.namespace}/${t.name} is gone` };
        return sameSelector(live.spec.selector, t.selector)
          ? { status: 'ok' as const }
          : {
              status: 'failed' as const,
              reason: `its selector changed since the diagnosis: ${JSON.stringify(live.spec.selector ?? {})}`,
            };
      },
    }));
  },
  async apply(exec, plan) {
    const actions: AppliedAction[] = [];
    const undo: UndoAction[] = [];
    for (const t of plan.params.targets) {
      await exec.port.patchObject('Service', t.namespace, t.name, selectorPatch(t.key, t.to), 'merge');
      undo.push({
        type: 'patch',
        kind: 'Service',
        namespace: t.namespace,
        name: t.name,
        patch: selectorPatch(t.key, t.from),
        patchType: 'merge',
      });
      actions.push({
        target: `Service ${t.namespace}/${t.name}`,
        command: `merge patch spec.selector.${t.key}`,
        before: t.from,
        after: t.to,
        result: 'patched',
      });
    }
    return { status: 'applied', step: plan.step, actions, undo, facts: {} };
  },
  async verify(exec, _record, plan) {
    const targets = plan.params.targets;
    return pollUntil(exec, async () => {
      const found: string[] = [];
      for (const t of targets) {
        const slices = (await exec.port.list('endpointSlices', {
          namespaces: [t.namespace],
        })) as K8sEndpointSlice[];
        const ready = readyAddresses(slices, t.name);
        if (ready.length === 0)
          return { ok: false, reason: `Service ${t.namespace}/${t.name} has no ready endpoint yet` };
        found.push(
          `${t.namespace}/${t.name}: ${ready.slice(0, 3).join(', ')}${ready.length > 3 ? ', ...' : ''}`,
        );
      }
      return { ok: true, detail: `ready endpoints: ${found.join('; ')}` };
    });
  },
  rollback: runUndo,
};
