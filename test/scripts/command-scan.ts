/**
 * Finds the external commands netdoctor's code runs, by reading its source as text:
 * - TypeScript: the first argument of every call to a spawn-like function (a string literal, or
 *   the first element of an argv array literal), and the commands of every shell script
 *   literal handed to `sh -c` or to the repair kit's `sh()`;
 * - shell scripts (and .ci/run, the Makefile's recipes): the first word of every simple command.
 * It reads text, so it is a guard, not a proof: a command name computed at run time is not seen.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, join } from 'node:path';

/** Functions whose first argument (or argv array) names the program they start. */
export const SPAWN_SINKS = [
  'spawn',
  'spawnSync',
  'execFile',
  'execFileSync',
  'exec',
  'tryRun',
  'run',
  'runCommand',
  'nsExec',
] as const;

/** One command found, and where. */
export interface CommandUse {
  command: string;
  file: string;
  line: number;
}

const SHELL_KEYWORDS = new Set(
  'if then else elif fi for while until do done case esac in function select time ! { } [[ ]] [ test'.split(
    ' ',
  ),
);

/** Commands every shell and Debian base system has (built-ins and Essential packages). */
export const BASE_COMMANDS = new Set(
  // shell built-ins
  (
    'cd echo printf read export local set unset shift return exit source . eval exec trap wait ' +
    'kill true false command type umask ulimit declare readonly let break continue getopts : ' +
    'pwd hash jobs alias mapfile builtin ' +
    // coreutils, findutils, grep, sed, gawk/mawk, tar, gzip, hostname, dpkg, apt, bash, dash
    'sh bash dash cat cp mv rm ls ln mkdir rmdir touch chmod chown head tail wc tr sort uniq cut ' +
    'tee basename dirname readlink realpath mktemp date sleep env id seq timeout stat du df nproc ' +
    'yes nice nohup stdbuf sync grep egrep sed awk find xargs gzip hostname uname whoami ' +
    'dpkg apt-get apt-cache install md5sum sha256sum od expr ' +
    // the Node.js netdoctor runs on (brought by scripts/ensure-node.sh), and its package manager
    'node npm npx'
  ).split(/\s+/),
);

/** Replaces `${...}` interpolations (nested braces included) with a placeholder word. */
function flattenTemplate(body: string): string {
  let out = '';
  let depth = 0;
  for (let i = 0; i < body.length; i++) {
    if (depth === 0 && body[i] === '$' && body[i + 1] === '{') {
      depth = 1;
      i++;
      out += '$X';
      continue;
    }
    if (depth > 0) {
      if (body[i] === '{') depth++;
      else if (body[i] === '}') depth--;
      continue;
    }
    out += body[i];
  }
  return out;
}

/** The string literal (any quote) that starts at `i` in `src`, with its end; undefined if none. */
function literalAt(src: string, i: number): { text: string; end: number } | undefined {
  const q = src[i];
  if (q !== "'" && q !== '"' && q !== '`') return undefined;
  let depth = 0;
  for (let j = i + 1; j < src.length; j++) {
    const c = src[j];
    if (c === '\\') {
      j++;
      continue;
    }
    if (q === '`' && c === '$' && src[j + 1] === '{') depth++;
    else if (q === '`' && depth > 0 && c === '}') depth--;
    else if (c === q && depth === 0) {
      const raw = src.slice(i + 1, j);
      return { text: q === '`' ? flattenTemplate(raw) : raw, end: j + 1 };
    }
  }
  return undefined;
}

const lineOf = (src: string, i: number): number => src.slice(0, i).split('\n').length;

/** A word that can name a program: a plain name, or an absolute path whose basename is used. */
function commandWord(word: string): string | undefined {
  const w = word.replace(/^["']|["']$/g, '');
  if (/^\/(usr\/)?(local\/)?s?bin\/[A-Za-z0-9_.+-]+$/.test(w)) return basename(w);
  if (/^[A-Za-z][A-Za-z0-9_.+-]*$/.test(w) && !w.includes('=')) return w;
  return undefined;
}

/** The commands of a shell script: the first word of each simple command. */
export function shellCommands(script: string): { command: string; offset: number }[] {
  const out: { command: string; offset: number }[] = [];
  const functions = new Set<string>();
  for (const m of script.matchAll(/(?:^|\n)\s*(?:function\s+)?([A-Za-z_][\w-]*)\s*\(\)\s*\{?/g)) {
    if (m[1]) functions.add(m[1]);
  }
  // Heredoc bodies and single-quoted strings are data, not commands; comments are prose.
  let text = script
    .replace(/\\\n/g, '  ')
    .replace(/<<-?\s*'?(\w+)'?[^\n]*\n[\s\S]*?\n\s*\1\s*(?=\n|$)/g, (h) => h.replace(/[^\n]/g, ' '));
  text = text.replace(/'[^'\n]*'/g, (s) => ' '.repeat(s.length));
  // Inside double quotes only command substitutions run commands.
  text = text.replace(/"(?:[^"\\\n]|\\.)*"/g, (s) =>
    s.replace(/\$\([^()]*\)|[^\n]/g, (part) => (part.length > 1 ? part : ' ')),
  );
  // Array assignments `a=(x y)` list words, not commands.
  text = text.replace(/=\([^()]*\)/g, (s) => `=${' '.repeat(s.length - 1)}`);
  text = text.replace(/(^|\s)#[^\n]*/g, (s) => ' '.repeat(s.length));
  // A case pattern `a | b)` is not a pipeline.
  text = text.replace(/^[ \t]*[^\n()]*\)(?=[ \t])/gm, (s) => ' '.repeat(s.length));
  const seps =
    /(\n|;;|;|&&|\|\||\||&|\$\(|`|\(|\)|\{|\}|\bthen\b|\bdo\b|\belse\b|\bif\b|\bwhile\b|\buntil\b|!\s)/g;
  let last = 0;
  const segments: { s: string; offset: number }[] = [];
  for (const m of text.matchAll(seps)) {
    segments.push({ s: text.slice(last, m.index), offset: last });
    last = (m.index ?? 0) + m[0].length;
  }
  segments.push({ s: text.slice(last), offset: last });
  for (const { s, offset } of segments) {
    const words = s.trim().split(/\s+/).filter(Boolean);
    // `for x in ...`, `case x in`, `select`: the words are values, not commands.
    if (words[0] === 'for' || words[0] === 'case' || words[0] === 'select') continue;
    let k = 0;
    // Skip assignments, redirections and keywords before the command word.
    while (
      k < words.length &&
      (/^[A-Za-z_]\w*(\[[^\]]*\])?\+?=/.test(words[k] ?? '') ||
        /^\d*[<>]/.test(words[k] ?? '') ||
        SHELL_KEYWORDS.has(words[k] ?? '') ||
        words[k] === 'sudo' ||
        words[k] === 'exec')
    )
      k++;
    const first = words[k];
    if (first === undefined) continue;
    const command = commandWord(first);
    if (command === undefined || SHELL_KEYWORDS.has(command) || functions.has(command)) continue;
    out.push({ command, offset: offset + s.indexOf(first) });
  }
  // Binaries that lab/images.sh copies into images by absolute path are needed on the machine too.
  for (const m of text.matchAll(/\badd_bin\s+(?:\S+\s+)?\/(?:usr\/)?s?bin\/([A-Za-z0-9_.+-]+)/g)) {
    if (m[1]) out.push({ command: m[1], offset: m.index ?? 0 });
  }
  return out;
}

/** Commands that a TypeScript file starts. */
export function typescriptCommands(src: string, file: string): CommandUse[] {
  const uses: CommandUse[] = [];
  const add = (command: string | undefined, at: number) => {
    if (command !== undefined) uses.push({ command, file, line: lineOf(src, at) });
  };
  const sink = new RegExp(`(?<![\\w.$])(?:${SPAWN_SINKS.join('|')})\\(\\s*`, 'g');
  for (const m of src.matchAll(sink)) {
    let i = (m.index ?? 0) + m[0].length;
    if (src[i] === '[') i = src.slice(i + 1).search(/\S/) + i + 1;
    const lit = literalAt(src, i);
    if (lit && src[i] !== '`') add(commandWord(lit.text), i);
  }
  // Shell scripts: the literal after '-c' in an argv, and the argument of the kit's sh().
  const scriptStart = /(?:['"](?:sh|bash)['"]\s*,\s*['"]-c['"]\s*,\s*|(?<![\w.$])sh\(\s*)/g;
  for (const m of src.matchAll(scriptStart)) {
    const i = (m.index ?? 0) + m[0].length;
    const lit = literalAt(src, i);
    if (!lit) continue;
    for (const c of shellCommands(lit.text)) add(c.command, i + c.offset);
  }
  return uses;
}

/** Recipe lines of a Makefile, as one script. */
function makefileRecipes(text: string): string {
  return (
    text
      .split('\n')
      .map((l) => (l.startsWith('\t') ? l.slice(1).replace(/^[@-]+/, '') : ''))
      // Make's own variables: $(MAKE) runs make; any other $(VAR) is a value.
      .map((l) => l.replaceAll('$(MAKE)', 'make').replace(/\$\((\w+)\)/g, '$$$1'))
      .join('\n')
  );
}

/** Every file under `dir` (recursively) that `keep` accepts, skipping dependency folders. */
export function filesUnder(dir: string, keep: (path: string) => boolean): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    if (name === 'node_modules' || name === 'fixtures' || name === 'dist' || name.startsWith('.tools'))
      continue;
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...filesUnder(p, keep));
    else if (keep(p)) out.push(p);
  }
  return out;
}

/** Commands started anywhere in the repository rooted at `root`. */
export function scanRepository(root: string): CommandUse[] {
  const uses: CommandUse[] = [];
  const rel = (p: string) => p.slice(root.length + 1);
  for (const dir of ['src', 'test', 'scripts', 'bench']) {
    // The scanner's own test plants made-up commands on purpose.
    for (const f of filesUnder(join(root, dir), (p) => p.endsWith('.ts') && !p.includes('/test/scripts/'))) {
      uses.push(...typescriptCommands(readFileSync(f, 'utf8'), rel(f)));
    }
  }
  const shellFiles = [
    ...filesUnder(join(root, 'scripts'), (p) => p.endsWith('.sh')),
    ...filesUnder(join(root, 'lab'), (p) => p.endsWith('.sh')),
    join(root, '.ci', 'run'),
  ];
  for (const f of shellFiles) {
    const text = readFileSync(f, 'utf8');
    for (const c of shellCommands(text))
      uses.push({ command: c.command, file: rel(f), line: lineOf(text, c.offset) });
  }
  const make = readFileSync(join(root, 'Makefile'), 'utf8');
  for (const c of shellCommands(makefileRecipes(make))) {
    uses.push({ command: c.command, file: 'Makefile', line: lineOf(make, c.offset) });
  }
  return uses;
}

/** One line of scripts/system-deps.tsv. */
export interface SystemDep {
  command: string;
  pkg: string;
}

/** Reads scripts/system-deps.tsv. */
export function readSystemDeps(root: string): SystemDep[] {
  return readFileSync(join(root, 'scripts', 'system-deps.tsv'), 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '' && !l.startsWith('#'))
    .map((l) => {
      const [command = '', pkg = ''] = l.split('\t');
      return { command, pkg };
    });
}
