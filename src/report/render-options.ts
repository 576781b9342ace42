/**
 * What every renderer shares: the formats netdoctor can write (`-o`) and the options a caller
 * may pass. Renderers are pure (Report in, string out), so anything that depends on where the
 * output goes (a TTY, NO_COLOR) is decided by the caller and handed in here.
 */
import type { Report } from '../core/model.ts';

/** The `-o` formats, in the order `--help` lists them. */
export const REPORT_FORMATS = ['text', 'json', 'yaml', 'md', 'html', 'junit'] as const;
export type ReportFormat = (typeof REPORT_FORMATS)[number];

export interface RenderOptions {
  /** ANSI colour in the text summary; decide it with `shouldUseColor` (color.ts). Default false. */
  color?: boolean;
}

/** A renderer: pure, deterministic for the same report and options. */
export type Renderer = (report: Report, opts?: RenderOptions) => string;

export function isReportFormat(value: string): value is ReportFormat {
  return (REPORT_FORMATS as readonly string[]).includes(value);
}
