/**
 * A rough well-formedness check for the HTML and JUnit renderers: every tag that opens closes,
 * in order. Not a parser; enough to catch a forgotten `</td>` or a tag broken by unescaped data.
 */

const HTML_VOID = new Set(['meta', 'br', 'input', 'img', 'hr', 'link', 'col', 'wbr']);

/** Problems found (empty when balanced). `voids` are elements that never close (HTML). */
export function unbalancedTags(markup: string, voids: ReadonlySet<string> = HTML_VOID): string[] {
  const problems: string[] = [];
  const stack: string[] = [];
  // Script and style bodies are not markup; comparisons like `a < b` would confuse the scan.
  const text = markup
    .replace(/<script>[\s\S]*?<\/script>/g, '<script></script>')
    .replace(/<style>[\s\S]*?<\/style>/g, '<style></style>')
    .replace(/<\?xml[^>]*\?>/, '')
    .replace(/<!DOCTYPE[^>]*>/i, '');
  const tag = /<(\/?)([A-Za-z][\w-]*)((?:\s+[\w:-]+(?:="[^"]*")?)*)\s*(\/?)>/g;
  let last = 0;
  for (let m = tag.exec(text); m !== null; m = tag.exec(text)) {
    const between = text.slice(last, m.index);
    if (between.includes('<') || between.includes('>'))
      problems.push(`stray angle bracket near: ${between.slice(0, 80)}`);
    last = tag.lastIndex;
    const [, closing, name = '', , selfClosing] = m;
    if (closing === '/') {
      const open = stack.pop();
      if (open !== name) problems.push(`</${name}> closes <${open ?? 'nothing'}>`);
    } else if (selfClosing !== '/' && !voids.has(name)) {
      stack.push(name);
    }
  }
  const tail = text.slice(last);
  if (tail.includes('<') || tail.includes('>'))
    problems.push(`stray angle bracket near: ${tail.slice(0, 80)}`);
  if (stack.length > 0) problems.push(`unclosed: ${stack.join(' > ')}`);
  return problems;
}
