/** What `fix --emergency-allow-all` and `fix --revert` print before they change anything (and in a dry run). */
import { toYaml } from '../step-kit.ts';
import { BYPASS_NAME } from './bypass-policy.ts';
import { changedLines } from './drift.ts';
import type { EmergencyPlan } from './plan.ts';
import type { RevertPlan } from './revert-plan.ts';

function indent(text: string, pad = '      '): string {
  return text
    .trimEnd()
    .split('\n')
    .map((l) => pad + l)
    .join('\n');
}

/** The bypass plan: per namespace what is backed up and the policy created, then verify and revert. */
export function renderEmergencyPlan(plan: EmergencyPlan): string {
  const out = [
    'Emergency NetworkPolicy bypass (--emergency-allow-all): every pod of the namespace may send and receive anything',
  ];
  plan.namespaces.forEach((n, i) => {
    const names = n.policies.map((p) => p.metadata.name);
    out.push(
      '',
      `${i + 1}. namespace ${n.namespace}`,
      `   back up: ${names.length} NetworkPolicy(s)${names.length > 0 ? `: ${names.join(', ')}` : ''}, exactly as read, into ${plan.fixDir}/backups/`,
      `   object: create NetworkPolicy ${n.namespace}/${BYPASS_NAME} — allow all ingress and egress`,
      '     after:',
      indent(toYaml(n.bypass)),
      '   left alone: the existing policies (NetworkPolicies only add allowances, so this one opens everything beside them)',
    );
  });
  out.push(
    '',
    `   verify: each bypass is present as planned, and every namespace's policies still equal the backup`,
    '   rollback (on a failed verification): delete the bypass',
    `   revert: ${plan.revertCommand}`,
  );
  return `${out.join('\n')}\n`;
}

/** The revert plan: how each namespace stands against its backup, and the changes in order. */
export function renderRevertPlan(plan: RevertPlan): string {
  const out = ['Revert of the emergency bypass'];
  for (const d of plan.drift) {
    const lines = changedLines(d);
    out.push('', `namespace ${d.namespace}: bypass ${d.bypass}; ${d.policies.length} policy(s) backed up`);
    for (const l of lines) out.push(`   ${l}`);
  }
  for (const g of plan.gone) out.push('', `namespace ${g}: no longer exists; nothing to revert there`);
  out.push('');
  if (plan.actions.length === 0)
    out.push('Nothing to do: no bypass left and every policy equals its backup.');
  plan.actions.forEach((a, i) => {
    out.push(
      a.type === 'restore'
        ? `${i + 1}. ${a.how === 'create' ? 'create' : 'replace (delete, create)'} NetworkPolicy ${a.namespace}/${a.name} from the backup — ${a.why}`
        : `${i + 1}. delete NetworkPolicy ${a.namespace}/${BYPASS_NAME} (the bypass)`,
    );
  });
  const added = plan.drift.flatMap((d) => d.added.map((n) => `${d.namespace}/${n}`));
  if (added.length > 0) out.push(`left alone (added after the backup, not netdoctor's): ${added.join(', ')}`);
  return `${out.join('\n')}\n`;
}
