/**
 * How right a diagnosis of a generated fault was: the first root cause's category and subject
 * against the ground truth, and how many root causes it named that the fault does not explain.
 * Pure, so the accuracy benchmark and its CI sample score alike.
 */
import type { RootCause } from '../../core/model.ts';
import type { GroundTruth } from './generate.ts';

export interface Score {
  categoryRight: boolean;
  /** The category and the subject are both right. */
  subjectRight: boolean;
  /** Root causes other than the fault's (any rank). */
  falseRootCauses: number;
  /** What the diagnosis named first, as `category Kind/name`. */
  named: string;
}

type Named = Pick<RootCause, 'category' | 'subject'>;

function matchesTruth(rc: Named, truth: GroundTruth): boolean {
  return (
    rc.category === truth.category &&
    (truth.subjects.length === 0 ||
      truth.subjects.some((s) => s.kind === rc.subject.kind && s.name === rc.subject.name))
  );
}

export function scoreDiagnosis(truth: GroundTruth, rootCauses: readonly Named[]): Score {
  const first = rootCauses[0];
  return {
    categoryRight: first?.category === truth.category,
    subjectRight: first !== undefined && matchesTruth(first, truth),
    falseRootCauses: rootCauses.filter((rc) => rc.category !== truth.category).length,
    named: first ? `${first.category} ${first.subject.kind}/${first.subject.name}` : 'no root cause',
  };
}

export interface AccuracySummary {
  runs: number;
  top1Category: number;
  top1Subject: number;
  falseRootCausesPerRun: number;
}

export function summarize(scores: readonly Score[]): AccuracySummary {
  const n = scores.length;
  const share = (f: (s: Score) => boolean) => (n === 0 ? 0 : scores.filter(f).length / n);
  return {
    runs: n,
    top1Category: share((s) => s.categoryRight),
    top1Subject: share((s) => s.subjectRight),
    falseRootCausesPerRun: n === 0 ? 0 : scores.reduce((a, s) => a + s.falseRootCauses, 0) / n,
  };
}
