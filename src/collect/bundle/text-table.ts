/**
 * Plain-text tables in kubectl's style (upper-case headers, columns padded with three spaces),
 * for the browse-only component files a person opens in a pager.
 */
export function textTable(headers: string[], rows: string[][]): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => oneLine(r[i] ?? '').length)));
  const line = (cells: string[]): string =>
    cells
      .map((c, i) => (i === cells.length - 1 ? oneLine(c) : oneLine(c).padEnd(widths[i] ?? 0)))
      .join('   ')
      .trimEnd();
  return [line(headers), ...rows.map(line)].join('\n') + '\n';
}

/** Table cells are single-line; newlines in messages would break the columns. */
function oneLine(s: string): string {
  return s.replace(/\s*\n\s*/g, ' ');
}
