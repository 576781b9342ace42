import type { Command } from 'commander';
import { analyzeBundle } from '../../analyze/analyze-bundle.ts';
import { render, shouldUseColor } from '../../report/index.ts';
import { type BundleLimitFlags, limitsFrom, withBundleLimitOptions } from '../bundle-limit-options.ts';
import { type OutputFormat, outputOption } from '../options.ts';
import { exitCodeFor, writeReportFiles } from '../report-output.ts';

/** `netdoctor analyze <bundle>`: the same analysis as `diagnose`, offline, on a saved bundle. */
export function registerAnalyze(program: Command): void {
  const cmd = program
    .command('analyze')
    .description('analyze a saved bundle (directory or .tar.gz) offline')
    .argument('<bundle>', 'bundle directory or .tar.gz written by `netdoctor diagnose`')
    .addOption(outputOption())
    .option(
      '--out <dir>',
      'also write DIAGNOSIS-REPORT.md, diagnosis-summary.txt, report.json and report.html here',
    );
  withBundleLimitOptions(cmd).action(
    async (bundle: string, opts: { output: OutputFormat; out?: string } & BundleLimitFlags) => {
      const report = await analyzeBundle(bundle, { limits: limitsFrom(opts) });
      if (opts.out) await writeReportFiles(opts.out, report);
      process.stdout.write(render(report, opts.output, { color: shouldUseColor(process.stdout) }));
      process.exitCode = exitCodeFor(report);
    },
  );
}
