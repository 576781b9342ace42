import { Option } from 'commander';

/** Report formats a command can print (PRODUCT.md common flag `-o`). */
export const OUTPUT_FORMATS = ['text', 'json', 'yaml', 'md', 'html', 'junit'] as const;
export type OutputFormat = (typeof OUTPUT_FORMATS)[number];

/** `-o, --output <format>` shared by every command that prints a report. */
export function outputOption(defaultFormat: OutputFormat = 'text'): Option {
  return new Option('-o, --output <format>', 'output format').choices(OUTPUT_FORMATS).default(defaultFormat);
}
