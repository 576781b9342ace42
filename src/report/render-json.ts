/**
 * report.json and `-o json`: the contract of PRODUCT.md, keys in contract order, two-space
 * indent, trailing newline, so two runs on the same bundle give byte-identical files.
 */
import type { Report } from '../core/model.ts';
import { orderedReport } from './ordered-report.ts';
import type { RenderOptions } from './render-options.ts';

export function renderJson(report: Report, _opts: RenderOptions = {}): string {
  return `${JSON.stringify(orderedReport(report), null, 2)}\n`;
}
