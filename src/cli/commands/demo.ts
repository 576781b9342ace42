import { join } from 'node:path';
import type { Command } from 'commander';
import pc from 'picocolors';
import { analyzeBundle } from '../../analyze/analyze-bundle.ts';
import { EXIT, NetdoctorError } from '../../core/errors.ts';
import type { Report } from '../../core/model.ts';
import { EXAMPLES_DIR, loadExampleCatalog, matchesExpectation } from '../../examples/catalog.ts';
import { render, shouldUseColor } from '../../report/index.ts';
import { type OutputFormat, outputOption } from '../options.ts';
import { writeReportFiles } from '../report-output.ts';

function rootCauseLine(report: Report): string {
  if (report.rootCauses.length === 0) return 'no root cause';
  return report.rootCauses.map((rc) => `${rc.category} on ${rc.subject.kind}/${rc.subject.name}`).join('; ');
}

/**
 * `netdoctor demo`: analyzes the bundled example clusters (a healthy one and recorded faults) so
 * a newcomer sees real reports with no cluster. Exits 0 when every example is diagnosed as
 * expected, 1 otherwise.
 */
export function registerDemo(program: Command): void {
  program
    .command('demo')
    .description('analyze the bundled example clusters and write their reports')
    .option('--example <id>', 'print the full report of one example')
    .addOption(outputOption())
    .option('--out <dir>', 'where to write each example’s reports', 'netdoctor-demo')
    .action(async (opts: { example?: string; output: OutputFormat; out: string }) => {
      const catalog = await loadExampleCatalog();
      const color = shouldUseColor(process.stdout);
      const paint = color ? pc : { green: String, red: String, bold: String, dim: String };
      const chosen = opts.example ? catalog.filter((e) => e.id === opts.example) : catalog;
      if (chosen.length === 0) {
        throw new NetdoctorError('usage', `no example named "${opts.example}"`, {
          suggestions: [`one of: ${catalog.map((e) => e.id).join(', ')}`],
        });
      }
      let mismatches = 0;
      for (const ex of chosen) {
        const report = await analyzeBundle(join(EXAMPLES_DIR, ex.id));
        const outDir = join(opts.out, ex.id);
        await writeReportFiles(outDir, report);
        const ok = matchesExpectation(ex.expected, report.rootCauses);
        if (!ok) mismatches++;
        if (opts.example) {
          process.stdout.write(render(report, opts.output, { color }));
          continue;
        }
        const mark = ok ? paint.green('✓') : paint.red('✗ unexpected');
        process.stdout.write(
          `${mark} ${paint.bold(ex.id.padEnd(28))} ${report.verdict.padEnd(9)} ${rootCauseLine(report)}\n` +
            `  ${paint.dim(ex.title)}\n  ${paint.dim(`report: ${join(outDir, 'DIAGNOSIS-REPORT.md')}`)}\n`,
        );
      }
      if (!opts.example) {
        process.stdout.write(
          `\n${chosen.length - mismatches}/${chosen.length} examples diagnosed as expected. ` +
            `See one in full: netdoctor demo --example ${chosen.find((e) => e.expected.length > 0)?.id ?? chosen[0]?.id}\n`,
        );
      }
      process.exitCode = mismatches === 0 ? EXIT.healthy : EXIT.problems;
    });
}
