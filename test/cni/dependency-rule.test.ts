/**
 * The dependency rule of the CNI adapter layer: knowledge of a CNI lives in src/cni, so rules
 * and repair steps name no CNI (outside comments) and reach each other only through shared
 * helpers. Two kinds of text are exempt because they are stable names that predate the
 * adapters: a rule's own `id` (rule ids never change; it equals the file name) and the module
 * specifiers that name such a rule's file.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { basename, dirname, join, relative, resolve } from 'node:path';
import { describe, it } from 'node:test';

const ROOT = resolve(import.meta.dirname, '../..');
const RULES = join(ROOT, 'src/analyze/rules');
const STEPS = join(ROOT, 'src/remediate/steps');
const CNI_NAME = /flannel|calico|cilium/i;

function tsFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? tsFiles(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : [],
  );
}

interface Token {
  kind: 'ident' | 'string' | 'template' | 'regex' | 'punct';
  text: string;
  line: number;
}

/** After these a `/` starts a regular expression, not a division. */
const REGEX_AFTER = new Set([
  '(',
  ',',
  '=',
  ':',
  '[',
  '!',
  '&',
  '|',
  '?',
  '{',
  '}',
  ';',
  '+',
  '-',
  '*',
  '%',
  '<',
  '>',
  '~',
  '^',
  'return',
  'typeof',
  'case',
  'in',
  'of',
  '=>',
  '${',
]);

/**
 * The tokens of TypeScript source with comments dropped: identifiers, string and template
 * literal texts (template chunks between `${...}`), regular expressions and punctuation.
 */
export function tokens(src: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  let line = 1;
  /** Brace depth at which each open template's `${` was entered. */
  const templates: number[] = [];
  let depth = 0;
  const last = () => out[out.length - 1];
  const readTemplate = () => {
    // at the character after ` or }
    let text = '';
    const startLine = line;
    while (i < src.length) {
      const c = src[i]!;
      if (c === '\\') {
        text += src.slice(i, i + 2);
        i += 2;
        continue;
      }
      if (c === '\n') line++;
      if (c === '`') {
        i++;
        out.push({ kind: 'template', text, line: startLine });
        return;
      }
      if (c === '$' && src[i + 1] === '{') {
        i += 2;
        out.push({ kind: 'template', text, line: startLine });
        out.push({ kind: 'punct', text: '${', line });
        templates.push(depth);
        depth++;
        return;
      }
      text += c;
      i++;
    }
  };
  while (i < src.length) {
    const c = src[i]!;
    if (c === '\n') {
      line++;
      i++;
    } else if (/\s/.test(c)) i++;
    else if (c === '/' && src[i + 1] === '/') {
      while (i < src.length && src[i] !== '\n') i++;
    } else if (c === '/' && src[i + 1] === '*') {
      const end = src.indexOf('*/', i + 2);
      const stop = end < 0 ? src.length : end + 2;
      line += (src.slice(i, stop).match(/\n/g) ?? []).length;
      i = stop;
    } else if (c === "'" || c === '"') {
      let j = i + 1;
      let text = '';
      while (j < src.length && src[j] !== c) {
        if (src[j] === '\\') {
          text += src.slice(j, j + 2);
          j += 2;
        } else text += src[j++];
      }
      out.push({ kind: 'string', text, line });
      i = j + 1;
    } else if (c === '`') {
      i++;
      readTemplate();
    } else if (c === '/' && (!last() || REGEX_AFTER.has(last()!.text))) {
      let j = i + 1;
      let inClass = false;
      while (j < src.length && (src[j] !== '/' || inClass)) {
        if (src[j] === '\\') j++;
        else if (src[j] === '[') inClass = true;
        else if (src[j] === ']') inClass = false;
        j++;
      }
      j++;
      while (/[a-z]/.test(src[j] ?? '')) j++;
      out.push({ kind: 'regex', text: src.slice(i, j), line });
      i = j;
    } else if (/[A-Za-z_$]/.test(c)) {
      const m = /^[A-Za-z0-9_$]+/.exec(src.slice(i, i + 200))!;
      out.push({ kind: 'ident', text: m[0], line });
      i += m[0].length;
    } else if (/[0-9]/.test(c)) {
      const m = /^[0-9A-Za-z_.]+/.exec(src.slice(i, i + 50))!;
      out.push({ kind: 'punct', text: m[0], line });
      i += m[0].length;
    } else if (c === '=' && src[i + 1] === '>') {
      out.push({ kind: 'punct', text: '=>', line });
      i += 2;
    } else {
      if (c === '{') depth++;
      if (c === '}') {
        depth--;
        if (templates.length > 0 && templates[templates.length - 1] === depth) {
          templates.pop();
          i++;
          readTemplate();
          continue;
        }
      }
      out.push({ kind: 'punct', text: c, line });
      i++;
    }
  }
  return out;
}

/** Relative module specifiers a file imports or re-exports, resolved to absolute paths. */
function imports(file: string): string[] {
  const t = tokens(readFileSync(file, 'utf8'));
  const out: string[] = [];
  t.forEach((tok, k) => {
    const prev = t[k - 1];
    if (tok.kind === 'string' && prev?.kind === 'ident' && (prev.text === 'from' || prev.text === 'import'))
      if (tok.text.startsWith('.')) out.push(resolve(dirname(file), tok.text));
  });
  return out;
}

/** Every identifier, string, template text or regular expression outside comments that names a CNI. */
function cniNames(file: string): string[] {
  const t = tokens(readFileSync(file, 'utf8'));
  const hits: string[] = [];
  t.forEach((tok, k) => {
    if (tok.kind === 'punct' || !CNI_NAME.test(tok.text)) return;
    const prev = t[k - 1];
    // A module specifier names a file (a rule file keeps the name of its stable id).
    if (tok.kind === 'string' && prev?.kind === 'ident' && (prev.text === 'from' || prev.text === 'import'))
      return;
    // `id: 'cni-calico-bgp-peers'` in cni-calico-bgp-peers.ts: the rule's stable id.
    if (
      tok.kind === 'string' &&
      prev?.text === ':' &&
      t[k - 2]?.text === 'id' &&
      tok.text === basename(file, '.ts')
    )
      return;
    hits.push(`${relative(ROOT, file)}:${tok.line} ${tok.kind} ${tok.text}`);
  });
  return hits;
}

const ruleFiles = tsFiles(RULES);
const stepFiles = tsFiles(STEPS);

describe('CNI adapter dependency rule', () => {
  it('finds the rule and step files it checks', () => {
    assert.ok(ruleFiles.length > 40 && stepFiles.length > 15);
  });

  it('rules and repair steps name no CNI outside comments (the adapters in src/cni do)', () => {
    const hits = [...ruleFiles, ...stepFiles].flatMap(cniNames);
    assert.deepEqual(hits, []);
  });

  it('sees a CNI name in code and not in a comment (the check itself works)', () => {
    const t = tokens(
      // biome-ignore lint/suspicious/noTemplateCurlyInString: TypeScript source text is the input here
      "// flannel\nconst a = 'cni0'; /* calico */ const b = `cilium ${a ? `x${'y'}` : '/'}z` / 2; const r = /calico/g;",
    );
    assert.deepEqual(
      t.filter((x) => x.kind !== 'punct').map((x) => `${x.kind}:${x.text}`),
      [
        'ident:const',
        'ident:a',
        'string:cni0',
        'ident:const',
        'ident:b',
        'template:cilium ',
        'ident:a',
        'template:x',
        'string:y',
        'template:',
        'string:/',
        'template:z',
        'ident:const',
        'ident:r',
        'regex:/calico/g',
      ],
    );
  });

  it('a rule imports no step and no other rule file, except through support/', () => {
    const bad: string[] = [];
    for (const f of ruleFiles) {
      if (f === join(RULES, 'index.ts')) continue; // the registry lists every rule
      for (const target of imports(f)) {
        // Rule files sit directly in rules/; support/ holds what rules share.
        const otherRule = dirname(target) === RULES && target !== f;
        if (target.startsWith(`${STEPS}/`) || otherRule)
          bad.push(`${relative(ROOT, f)} -> ${relative(ROOT, target)}`);
      }
    }
    assert.deepEqual(bad, []);
  });

  it('a repair step imports no rule file (shared rule helpers in support/ are allowed)', () => {
    const bad: string[] = [];
    for (const f of stepFiles)
      for (const target of imports(f))
        if (dirname(target) === RULES) bad.push(`${relative(ROOT, f)} -> ${relative(ROOT, target)}`);
    assert.deepEqual(bad, []);
  });
});
