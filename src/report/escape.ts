/**
 * Escaping for every output format. A report carries cluster data (pod names, log lines, policy
 * names) that anyone able to create a pod controls, so no renderer writes such a string without
 * passing it through the escaper of its format.
 */

const HTML_ESCAPES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

/** Safe in HTML text and in double- or single-quoted attribute values. */
export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => HTML_ESCAPES[c] ?? c);
}

/**
 * Characters XML 1.0 forbids outright (most C0 controls). Log lines can carry them; a single one
 * makes a JUnit file unreadable for CI, so they become U+FFFD.
 */
const XML_INVALID = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]/g;

/** Safe in XML text and attribute values. */
export function escapeXml(s: string): string {
  return escapeHtml(s.replace(XML_INVALID, '\uFFFD'));
}

/**
 * Safe in an XML attribute, keeping line breaks: a parser turns a raw newline in an attribute
 * into a space, so multi-line messages are written as character references.
 */
export function escapeXmlAttr(s: string): string {
  return escapeXml(s).replace(/\r/g, '&#13;').replace(/\n/g, '&#10;').replace(/\t/g, '&#9;');
}

/**
 * Markdown text: backslash-escapes the punctuation that could start markup, raw HTML or a link,
 * or end a table cell, and folds newlines so a value stays on its line.
 */
export function escapeMarkdown(s: string): string {
  return oneLine(s).replace(/[\\`*_[\]<>|#]/g, (c) => `\\${c}`);
}

/**
 * Markdown inline code: a fence longer than any backtick run inside. In a table cell `|` must be
 * escaped even inside code (GFM removes that backslash again); elsewhere it must not be.
 */
export function markdownCode(s: string, inTable = false): string {
  const text = inTable ? oneLine(s).replace(/\|/g, '\\|') : oneLine(s);
  const longestRun = Math.max(0, ...(text.match(/`+/g) ?? []).map((run) => run.length));
  const fence = '`'.repeat(longestRun + 1);
  const pad = text.startsWith('`') || text.endsWith('`') || text === '' ? ' ' : '';
  return `${fence}${pad}${text}${pad}${fence}`;
}

/** A fenced code block whose fence no line of the content can close. */
export function markdownFence(lines: readonly string[], info = ''): string {
  const longestRun = Math.max(0, ...lines.flatMap((l) => l.match(/`+/g) ?? []).map((run) => run.length));
  const fence = '`'.repeat(Math.max(3, longestRun + 1));
  return [`${fence}${info}`, ...lines, fence].join('\n');
}

function oneLine(s: string): string {
  return s.replace(/\r?\n|\r/g, ' ');
}
