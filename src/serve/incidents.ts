/**
 * Incidents: each root cause's life in the served history, from the first report that named it
 * to the first report that no longer did. Pure: the store (history-store.ts) persists what
 * {@link diffIncidents} decides, so the rules of appearing and resolving are tested without a
 * database or a server.
 */
import type { RootCause, RootCauseCategory, Subject } from '../core/model.ts';

/**
 * What makes two root causes in successive reports the same incident: its category and its
 * subject. Summaries and confidence change from run to run (a route count, a probe count), and
 * must not open a new incident each time.
 */
export type IncidentKey = string & { readonly __brand: 'IncidentKey' };

export function incidentKeyOf(category: RootCauseCategory, subject: Subject): IncidentKey {
  return `${category}|${subject.kind}/${subject.namespace ?? ''}/${subject.name}` as IncidentKey;
}

/** One root cause's incident: open while `resolvedAt` is absent. Times are ISO 8601. */
export interface Incident {
  key: IncidentKey;
  category: RootCauseCategory;
  subject: Subject;
  /** The summary of the latest report that named it. */
  summary: string;
  appearedAt: string;
  /** The latest report that still named it. */
  lastSeenAt: string;
  resolvedAt?: string;
}

/** What one new report does to the history: incidents that open, stay open, and resolve. */
export interface IncidentChange {
  opened: Incident[];
  /** Open incidents the report names again, with the new summary and `lastSeenAt`. */
  continued: Incident[];
  resolved: Incident[];
}

/**
 * Compares the open incidents with a new report's root causes at time `at`. A report that could
 * not be made (a failed analysis) is not a report: the caller keeps the history as it is, since
 * "not seen" is no proof that a cause went away.
 */
export function diffIncidents(
  open: readonly Incident[],
  rootCauses: readonly RootCause[],
  at: string,
): IncidentChange {
  const byKey = new Map(open.map((i) => [i.key, i]));
  const seen = new Set<IncidentKey>();
  const opened: Incident[] = [];
  const continued: Incident[] = [];
  for (const rc of rootCauses) {
    const key = incidentKeyOf(rc.category, rc.subject);
    // One report can name the same category and subject twice (two findings promoted): one incident.
    if (seen.has(key)) continue;
    seen.add(key);
    const prior = byKey.get(key);
    if (prior) continued.push({ ...prior, summary: rc.summary, lastSeenAt: at });
    else
      opened.push({
        key,
        category: rc.category,
        subject: subjectOf(rc.subject),
        summary: rc.summary,
        appearedAt: at,
        lastSeenAt: at,
      });
  }
  const resolved = open.filter((i) => !seen.has(i.key)).map((i) => ({ ...i, resolvedAt: at }));
  return { opened, continued, resolved };
}

function subjectOf(s: Subject): Subject {
  return s.namespace === undefined
    ? { kind: s.kind, name: s.name }
    : { kind: s.kind, name: s.name, namespace: s.namespace };
}
