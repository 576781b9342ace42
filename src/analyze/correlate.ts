import type { Finding, RootCause, Subject } from '../core/model.ts';
import { LAYERS } from '../core/model.ts';
import { CAUSAL_GRAPH, type CausalEdge } from './causal-graph.ts';
import { clampConfidence } from './finding.ts';

/** Each corroborating symptom raises a root cause's confidence by this much, up to MAX_BOOST. */
const SYMPTOM_BOOST = 0.02;
const MAX_BOOST = 0.1;

type CauseFinding = Finding & { cause: NonNullable<Finding['cause']> };
type SymptomFinding = Finding & { symptom: NonNullable<Finding['symptom']> };

function sameSubject(a: Subject, b: Subject): boolean {
  return a.kind === b.kind && a.name === b.name && (a.namespace ?? '') === (b.namespace ?? '');
}

/** The nodes a cause finding is about: its Node subject and any nodes its claim names. */
export function causeNodes(f: CauseFinding): string[] {
  const out = f.subject.kind === 'Node' ? [f.subject.name] : [];
  for (const n of f.cause.nodes ?? []) if (!out.includes(n)) out.push(n);
  return out;
}

function edgeTakesSymptom(e: CausalEdge, s: SymptomFinding): boolean {
  if (!e.symptoms?.includes(s.symptom.kind)) return false;
  if (e.symptomRules && !e.symptomRules.includes(s.rule)) return false;
  if (e.exceptRules?.includes(s.rule)) return false;
  if (e.symptomSubject && !sameSubject(e.symptomSubject, s.subject)) return false;
  return true;
}

/** Higher strength wins a tie between causes that would explain each other. */
function stronger(a: CauseFinding, b: CauseFinding): boolean {
  const la = LAYERS.indexOf(a.layer);
  const lb = LAYERS.indexOf(b.layer);
  if (la !== lb) return la < lb;
  if (a.cause.confidence !== b.cause.confidence) return a.cause.confidence > b.cause.confidence;
  return a.id < b.id;
}

/**
 * Promotes cause findings to root causes: every cause no other cause explains becomes a
 * RootCause whose `explains` lists the symptoms and lesser causes it accounts for (directly or
 * through the causes it absorbs). Ranked by how much each explains, then confidence, then
 * layer (lowest first).
 */
export function correlate(findings: readonly Finding[]): RootCause[] {
  const causes = findings.filter((f): f is CauseFinding => f.cause !== undefined);
  if (causes.length === 0) return [];
  const symptoms = findings.filter(
    (f): f is SymptomFinding => f.symptom !== undefined && f.cause === undefined,
  );

  const symptomIds = new Set(symptoms.map((s) => s.id));
  const symptomsByNode = new Map<string, SymptomFinding[]>();
  for (const s of symptoms) {
    for (const n of s.symptom.nodes) {
      const list = symptomsByNode.get(n);
      if (list) list.push(s);
      else symptomsByNode.set(n, [s]);
    }
  }
  const edgesByCategory = new Map<string, CausalEdge[]>();
  for (const e of CAUSAL_GRAPH) {
    const list = edgesByCategory.get(e.cause);
    if (list) list.push(e);
    else edgesByCategory.set(e.cause, [e]);
  }
  const nodesOf = new Map<CauseFinding, string[]>(causes.map((c) => [c, causeNodes(c)]));

  /** Direct explanations: cause -> symptom ids and cause findings it explains. */
  const explainsSymptoms = new Map<CauseFinding, Set<string>>();
  const explainsCauses = new Map<CauseFinding, Set<CauseFinding>>();
  for (const c of causes) {
    const sy = new Set<string>();
    const ca = new Set<CauseFinding>();
    const cNodes = nodesOf.get(c) ?? [];
    for (const e of edgesByCategory.get(c.cause.category) ?? []) {
      if (e.symptoms) {
        const pool =
          e.scope === 'node' ? [...new Set(cNodes.flatMap((n) => symptomsByNode.get(n) ?? []))] : symptoms;
        for (const s of pool) {
          if (e.scope === 'subject' && !sameSubject(s.subject, c.subject)) continue;
          if (edgeTakesSymptom(e, s)) sy.add(s.id);
        }
      }
      if (e.causes) {
        for (const other of causes) {
          if (other === c || !e.causes.includes(other.cause.category)) continue;
          if (e.scope === 'subject' && !sameSubject(other.subject, c.subject)) continue;
          if (e.scope === 'node') {
            const on = nodesOf.get(other) ?? [];
            if (on.length === 0 || !on.every((n) => cNodes.includes(n))) continue;
          }
          ca.add(other);
        }
      }
    }
    // A traced cause explains the symptoms whose traces end at it.
    for (const id of c.cause.explains ?? []) if (symptomIds.has(id)) sy.add(id);
    explainsSymptoms.set(c, sy);
    explainsCauses.set(c, ca);
  }
  absorbTracedCauses(causes, explainsSymptoms, explainsCauses);
  // Two causes that explain each other: the stronger keeps the edge.
  for (const [a, set] of explainsCauses) {
    for (const b of [...set]) {
      if (explainsCauses.get(b)?.has(a)) {
        if (stronger(a, b)) explainsCauses.get(b)?.delete(a);
        else set.delete(b);
      }
    }
  }

  const explainedBy = new Map<CauseFinding, number>();
  for (const set of explainsCauses.values())
    for (const b of set) explainedBy.set(b, (explainedBy.get(b) ?? 0) + 1);
  // Log lines outlive the fault they tell of: a cause resting on them alone stays a finding.
  const canLead = (c: CauseFinding): boolean => c.cause.basis !== 'logs';
  const roots = causes.filter((c) => !explainedBy.has(c) && canLead(c));
  const reached = new Set<CauseFinding>();
  const reach = (from: CauseFinding): void => {
    const stack = [from];
    while (stack.length > 0) {
      const c = stack.pop() as CauseFinding;
      if (reached.has(c)) continue;
      reached.add(c);
      for (const n of explainsCauses.get(c) ?? []) stack.push(n);
    }
  };
  for (const r of roots) reach(r);
  // Longer cycles leave causes no root reaches: promote the strongest of them until none is left.
  for (;;) {
    const left = causes.filter((c) => !reached.has(c) && canLead(c) && explainedBy.has(c));
    if (left.length === 0) break;
    const best = left.reduce((a, b) => (stronger(a, b) ? a : b));
    roots.push(best);
    reach(best);
  }

  const out = demoteUnsupported(
    roots.map((r) => {
      const explained = new Set<string>();
      const seen = new Set<CauseFinding>([r]);
      const stack = [r];
      let symptomCount = 0;
      while (stack.length > 0) {
        const c = stack.pop() as CauseFinding;
        for (const id of explainsSymptoms.get(c) ?? []) {
          if (!explained.has(id)) {
            explained.add(id);
            symptomCount++;
          }
        }
        for (const n of explainsCauses.get(c) ?? []) {
          if (seen.has(n)) continue;
          seen.add(n);
          explained.add(n.id);
          stack.push(n);
        }
      }
      const boost = Math.min(MAX_BOOST, SYMPTOM_BOOST * symptomCount);
      const rc: RootCause = {
        category: r.cause.category,
        subject: r.subject,
        confidence: clampConfidence(r.cause.confidence + (r.cause.confidence > 0 ? boost : 0)),
        summary: r.summary,
        evidence: r.evidence,
        explains: [...explained].sort(),
        remediation: r.cause.remediation,
        finding: r.id,
      };
      return { rc, layer: LAYERS.indexOf(r.layer), own: ownEvidence(r), symptoms: symptomCount };
    }),
    symptomIds,
  );
  out.sort(
    (a, b) =>
      b.rc.explains.length - a.rc.explains.length ||
      b.rc.confidence - a.rc.confidence ||
      a.layer - b.layer ||
      (a.rc.finding < b.rc.finding ? -1 : a.rc.finding > b.rc.finding ? 1 : 0),
  );
  return out.map((o) => o.rc);
}

/** Evidence a cause has of its own: anything but the probe results its symptoms also show. */
function ownEvidence(c: Finding): number {
  return c.evidence.filter((e) => !e.source.startsWith('probes/')).length;
}

/**
 * A traced cause and a catalog cause that name the same fault: the catalog cause keeps it
 * (same category and subject), or outranks it when it explains every symptom the traced one
 * does with more evidence of its own. The traced cause is then one of the things it explains.
 */
function absorbTracedCauses(
  causes: readonly CauseFinding[],
  explainsSymptoms: Map<CauseFinding, Set<string>>,
  explainsCauses: Map<CauseFinding, Set<CauseFinding>>,
): void {
  const catalog = causes.filter((c) => c.cause.basis !== 'trace');
  for (const t of causes) {
    if (t.cause.basis !== 'trace') continue;
    const ts = explainsSymptoms.get(t) ?? new Set<string>();
    const same = catalog.find(
      (c) => c.cause.category === t.cause.category && sameSubject(c.subject, t.subject),
    );
    if (same) {
      const cs = explainsSymptoms.get(same);
      for (const id of ts) cs?.add(id);
      explainsCauses.get(same)?.add(t);
      continue;
    }
    if (ts.size === 0) continue;
    const outranks = catalog.find((c) => {
      if (c.cause.basis === 'logs') return false;
      const cs = explainsSymptoms.get(c) ?? new Set<string>();
      return [...ts].every((id) => cs.has(id)) && ownEvidence(c) > ownEvidence(t);
    });
    if (outranks) explainsCauses.get(outranks)?.add(t);
  }
}

/**
 * A root cause with no evidence of its own, every symptom of which another root cause
 * explains, adds nothing: it becomes one of the things that other root cause explains.
 */
function demoteUnsupported<T extends { rc: RootCause; own: number; symptoms: number }>(
  roots: T[],
  symptomIds: ReadonlySet<string>,
): T[] {
  const symptomsOf = (r: T): string[] => r.rc.explains.filter((id) => symptomIds.has(id));
  const kept = [...roots];
  for (const r of roots) {
    const mine = symptomsOf(r);
    if (r.own > 0 || mine.length === 0) continue;
    const other = kept.find((o) => o !== r && mine.every((id) => o.rc.explains.includes(id)));
    if (!other) continue;
    kept.splice(kept.indexOf(r), 1);
    other.rc.explains = [...new Set([...other.rc.explains, r.rc.finding, ...r.rc.explains])].sort();
  }
  return kept;
}
