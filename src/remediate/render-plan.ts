/** The dry-run view of a Plan: per step, what it addresses, the diffs, commands, verification, rollback. */
import type { Plan } from './planner.ts';

function indent(text: string, pad = '      '): string {
  return text
    .trimEnd()
    .split('\n')
    .map((l) => pad + l)
    .join('\n');
}

export function renderPlan(plan: Plan): string {
  const out: string[] = [];
  out.push(`Repair plan (pattern: ${plan.pattern.match}, score ${plan.pattern.score})`);
  if (plan.steps.length === 0) out.push('', 'No repair step to run.');
  plan.steps.forEach((s, i) => {
    out.push('', `${i + 1}. [${s.phase}] ${s.step}: ${s.title}`);
    for (const c of s.addresses)
      out.push(
        `   addresses: ${c.category} on ${c.subject.kind} ${c.subject.namespace ? `${c.subject.namespace}/` : ''}${c.subject.name}`,
      );
    for (const o of s.objectChanges) {
      out.push(`   object: ${o.action} ${o.kind} ${o.namespace}/${o.name} — ${o.why}`);
      if (o.before) out.push('     before:', indent(o.before));
      if (o.after) out.push('     after:', indent(o.after));
    }
    for (const n of s.nodeCommands)
      out.push(`   node ${n.node}: ${n.argv.join(' ')}${n.hostMount ? ' (host mount ns)' : ''} — ${n.why}`);
    out.push(`   verify: ${s.verification}`, `   rollback: ${s.rollback}`);
    for (const note of s.notes) out.push(`   note: ${note}`);
  });
  if (plan.steps.length > 0)
    out.push(
      '',
      `${plan.steps.length + 1}. [validation] netdoctor validate: pod, DNS, service and egress checks`,
    );
  out.push(...leftAloneLines(plan));
  return `${out.join('\n')}\n`;
}

/**
 * What the plan leaves alone and why: steps with nothing to do, and root causes not repaired.
 * A real run prints it before the first change, so a run that ends with causes left over says
 * which and why without a dry run.
 */
export function renderLeftAlone(plan: Plan): string {
  const lines = leftAloneLines(plan);
  return lines.length > 0 ? `${lines.join('\n')}\n` : '';
}

function leftAloneLines(plan: Plan): string[] {
  const out: string[] = [];
  if (plan.noOps.length > 0) {
    out.push('', 'Nothing to do:');
    for (const n of plan.noOps) out.push(`  - ${n.step}: ${n.reason}`);
  }
  if (plan.skipped.length > 0) {
    out.push('', 'Not repaired:');
    for (const s of plan.skipped) {
      out.push(`  - ${s.reason}`);
      for (const c of s.manualCommands ?? []) out.push(`      $ ${c}`);
    }
  }
  return out;
}
