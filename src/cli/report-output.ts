import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { REPORT_FILES } from '../collect/bundle/layout.ts';
import { EXIT, type ExitCode } from '../core/errors.ts';
import type { Report } from '../core/model.ts';
import { renderBundleReports } from '../report/index.ts';

/** Writes the four report files of the bundle layout into `dir`. */
export async function writeReportFiles(dir: string, report: Report): Promise<void> {
  await mkdir(dir, { recursive: true });
  const files = renderBundleReports(report);
  await Promise.all(
    (Object.keys(REPORT_FILES) as (keyof typeof REPORT_FILES)[]).map((k) =>
      writeFile(join(dir, REPORT_FILES[k]), files[k]),
    ),
  );
}

/** 0 healthy, 1 problems found, 5 inconclusive (too little seen to call it healthy). */
export function exitCodeFor(report: Report): ExitCode {
  switch (report.verdict) {
    case 'healthy':
      return EXIT.healthy;
    case 'inconclusive':
      return EXIT.inconclusive;
    default:
      return EXIT.problems;
  }
}
