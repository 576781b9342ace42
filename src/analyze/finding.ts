import type { CauseClaim, Evidence, Finding, Layer, Severity, Subject, SymptomClaim } from '../core/model.ts';
import { SEVERITIES } from '../core/model.ts';

/**
 * The stable id of a finding: `<rule>/<subject-kind>/<ns>/<name>[/<detail>]`. The same input
 * always gives the same id, so reports can be compared run to run.
 */
export function findingId(rule: string, subject: Subject, detail?: string): string {
  const base = `${rule}/${subject.kind}/${subject.namespace ?? ''}/${subject.name}`;
  return detail ? `${base}/${detail}` : base;
}

/** What a rule states about one subject; the helpers add the id, rule and layer. */
export interface FindingInput {
  subject: Subject;
  severity: Severity;
  summary: string;
  evidence: Evidence[];
  /** Distinguishes several findings of one rule on the same subject. */
  detail?: string;
  nextCommands?: string[];
}

/** The part of a rule the helpers need. */
export interface RuleRef {
  id: string;
  layer: Layer;
}

function base(rule: RuleRef, input: FindingInput): Finding {
  const f: Finding = {
    id: findingId(rule.id, input.subject, input.detail),
    rule: rule.id,
    layer: rule.layer,
    severity: input.severity,
    subject: input.subject,
    summary: input.summary,
    evidence: input.evidence,
  };
  if (input.nextCommands && input.nextCommands.length > 0) f.nextCommands = input.nextCommands;
  return f;
}

/** A finding that claims a root-cause category for its subject. */
export function causeFinding(rule: RuleRef, input: FindingInput, cause: CauseClaim): Finding {
  return { ...base(rule, input), cause: { ...cause, confidence: clampConfidence(cause.confidence) } };
}

/** A finding that reports an observable symptom and the nodes it involves. */
export function symptomFinding(rule: RuleRef, input: FindingInput, symptom: SymptomClaim): Finding {
  return { ...base(rule, input), symptom: { kind: symptom.kind, nodes: [...new Set(symptom.nodes)].sort() } };
}

/** A finding that is neither cause nor symptom. */
export function infoFinding(rule: RuleRef, input: FindingInput): Finding {
  return base(rule, input);
}

export function nodeSubject(name: string): Subject {
  return { kind: 'Node', name };
}

export function clampConfidence(c: number): number {
  return Math.round(Math.min(0.99, Math.max(0, c)) * 100) / 100;
}

/** Lower is more severe. */
export function severityRank(s: Severity): number {
  return SEVERITIES.indexOf(s);
}

/** Keeps a log excerpt short enough for evidence. */
export function excerpt(lines: string[], max = 5): string {
  return lines.slice(-max).join('\n');
}
