import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { NetdoctorError } from '../core/errors.ts';
import type { RootCauseCategory, Subject } from '../core/model.ts';

/** One bundled example cluster and the diagnosis it must produce. */
export interface ExampleEntry {
  id: string;
  title: string;
  /** The source document the fault comes from (shared/seeds), when one does. */
  seed?: string | null;
  fault?: string;
  /** Root causes the analysis must name (category and subject); empty for a healthy cluster. */
  /** `subject` absent: any subject (a fault whose subject depends on the cluster's policies). */
  expected: { category: RootCauseCategory; subject?: Pick<Subject, 'kind' | 'name'> }[];
  /** Diagnoses that would also be right (seed 004: a stalled agent shows as missing routes). */
  alternatives?: { category: RootCauseCategory; subject: Pick<Subject, 'kind' | 'name'> }[];
}

/**
 * The examples folder ships beside src/ and dist/ (both one level below the package root), so
 * the same relative URL finds it from either.
 */
export const EXAMPLES_DIR = fileURLToPath(new URL('../../examples/', import.meta.url));

export async function loadExampleCatalog(dir: string = EXAMPLES_DIR): Promise<ExampleEntry[]> {
  const path = `${dir}index.json`;
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    throw new NetdoctorError('bundle-not-found', 'the bundled examples are missing', { path, cause: err });
  }
  try {
    return JSON.parse(text) as ExampleEntry[];
  } catch (err) {
    throw new NetdoctorError('bundle-malformed', 'the examples index is not valid JSON', {
      path,
      cause: err,
    });
  }
}

/** Whether a report's root causes name every expected (category, subject), and none when none is expected. */
export function matchesExpectation(
  expected: ExampleEntry['expected'],
  rootCauses: { category: string; subject: Subject }[],
): boolean {
  if (expected.length === 0) return rootCauses.length === 0;
  return expected.every((e) =>
    rootCauses.some(
      (rc) =>
        rc.category === e.category &&
        (e.subject === undefined ||
          (rc.subject.kind === e.subject.kind && rc.subject.name === e.subject.name)),
    ),
  );
}
