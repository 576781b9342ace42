/**
 * `-o yaml`: the same document as report.json, for people who read YAML more easily. Lines are
 * never folded, so a log line in the evidence stays one line and greps still find it.
 */
import { stringify } from 'yaml';
import type { Report } from '../core/model.ts';
import { orderedReport } from './ordered-report.ts';
import type { RenderOptions } from './render-options.ts';

export function renderYaml(report: Report, _opts: RenderOptions = {}): string {
  return stringify(orderedReport(report), { lineWidth: 0, aliasDuplicateObjects: false });
}
