import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { REPORT_FILES } from '../collect/bundle/layout.ts';
import { EXIT, type ExitCode } from '../core/errors.ts';
import type { Report } from '../core/model.ts';
import { render } from '../report/index.ts';

/** Writes the four report files of the bundle layout into `dir`. */
export async function writeReportFiles(dir: string, report: Report): Promise<void> {
  await mkdir(dir, { recursive: true });
  await Promise.all([
    writeFile(join(dir, REPORT_FILES.markdown), render(report, 'md')),
    writeFile(join(dir, REPORT_FILES.summary), render(report, 'text', { color: false })),
    writeFile(join(dir, REPORT_FILES.json), render(report, 'json')),
    writeFile(join(dir, REPORT_FILES.html), render(report, 'html')),
  ]);
}

/** PRODUCT.md: 0 healthy, 1 problems found. */
export function exitCodeFor(report: Report): ExitCode {
  return report.verdict === 'healthy' ? EXIT.healthy : EXIT.problems;
}

/** Whether to colour terminal output: a TTY, and NO_COLOR unset. */
export function useColor(stream: NodeJS.WriteStream): boolean {
  return Boolean(stream.isTTY) && !process.env['NO_COLOR'];
}
