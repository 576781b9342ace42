/**
 * The report formats and their renderers: one explicit registry, keyed by the `-o` value. Every
 * renderer is pure (Report in, string out); writing files and choosing colour is the caller's job.
 */
import type { Report } from '../core/model.ts';
import { renderHtml } from './render-html.ts';
import { renderJson } from './render-json.ts';
import { renderJunit } from './render-junit.ts';
import { renderMarkdown } from './render-markdown.ts';
import type { Renderer, RenderOptions, ReportFormat } from './render-options.ts';
import { renderText } from './render-text.ts';
import { renderYaml } from './render-yaml.ts';

export { shouldUseColor } from './color.ts';
export { createProgress, type Progress, type ProgressOptions } from './progress.ts';
export {
  isReportFormat,
  REPORT_FORMATS,
  type Renderer,
  type RenderOptions,
  type ReportFormat,
} from './render-options.ts';
export { type ReportValidation, validateReport } from './validate-schema.ts';

/** Format -> renderer. `text` is the terminal summary and diagnosis-summary.txt; `md` is DIAGNOSIS-REPORT.md. */
export const RENDERERS: Readonly<Record<ReportFormat, Renderer>> = {
  text: renderText,
  json: renderJson,
  yaml: renderYaml,
  md: renderMarkdown,
  html: renderHtml,
  junit: renderJunit,
};

/** Renders a report in one format. */
export function render(report: Report, format: ReportFormat, opts: RenderOptions = {}): string {
  return RENDERERS[format](report, opts);
}

/**
 * The report files every bundle carries (REPORT_FILES of the bundle layout), keyed by the
 * layout's names, always without colour: they are files, not a terminal.
 */
export function renderBundleReports(report: Report): {
  markdown: string;
  summary: string;
  json: string;
  html: string;
} {
  return {
    markdown: renderMarkdown(report),
    summary: renderText(report, { color: false }),
    json: renderJson(report),
    html: renderHtml(report),
  };
}
