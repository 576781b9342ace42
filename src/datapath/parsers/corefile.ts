/**
 * Parses a CoreDNS Corefile (Caddyfile syntax): server blocks with their zones and ports,
 * each with its plugins (arguments and nested blocks), so rules can read `forward . <upstreams>`,
 * check for `loop`, and spot plugins CoreDNS does not know. Unbalanced braces throw: CoreDNS
 * itself refuses to start on them.
 */

/** A directive: a plugin in a server block, or a setting inside a plugin's block. */
export interface CorefileDirective {
  name: string;
  args: string[];
  /** The `{ ... }` block after the directive, when it has one. */
  block?: CorefileDirective[];
  line: number;
}

export interface CorefileZone {
  /** e.g. `.`, `cluster.local.` is kept as written: `cluster.local`. */
  zone: string;
  port: number;
  scheme: 'dns' | 'tls' | 'https' | 'grpc' | 'quic';
}

export interface CorefileServerBlock {
  /** The keys as written (`.:53`, `dns://example.org`). */
  keys: string[];
  zones: CorefileZone[];
  plugins: CorefileDirective[];
  /** A `(name) { ... }` snippet, reused with `import`. */
  snippet: boolean;
  line: number;
}

export interface Corefile {
  servers: CorefileServerBlock[];
}

/** Plugins compiled into a stock CoreDNS (its plugin.cfg). */
export const COREDNS_PLUGINS: ReadonlySet<string> = new Set([
  'root',
  'metadata',
  'geoip',
  'cancel',
  'tls',
  'timeouts',
  'multisocket',
  'reload',
  'nsid',
  'bufsize',
  'bind',
  'debug',
  'trace',
  'ready',
  'health',
  'pprof',
  'prometheus',
  'errors',
  'log',
  'dnstap',
  'local',
  'dns64',
  'acl',
  'any',
  'chaos',
  'loadbalance',
  'tsig',
  'cache',
  'rewrite',
  'header',
  'dnssec',
  'autopath',
  'minimal',
  'template',
  'transfer',
  'hosts',
  'route53',
  'azure',
  'clouddns',
  'k8s_external',
  'kubernetes',
  'file',
  'auto',
  'secondary',
  'etcd',
  'loop',
  'forward',
  'grpc',
  'erratic',
  'whoami',
  'on',
  'sign',
  'view',
  'import',
]);

interface Token {
  text: string;
  line: number;
  /** Quoted tokens are never braces. */
  quoted: boolean;
}

export function parseCorefile(text: string): Corefile {
  const tokens = tokenize(text);
  const servers: CorefileServerBlock[] = [];
  let i = 0;
  while (i < tokens.length) {
    const first = tokens[i]!;
    if (isBrace(first, '}')) throw new Error(`Corefile: unexpected "}" on line ${first.line}`);
    if (isBrace(first, '{')) throw new Error(`Corefile: "{" without server keys on line ${first.line}`);
    // Keys run to the end of the line (or to a "{" on it).
    const keys: string[] = [];
    const line = first.line;
    while (i < tokens.length && tokens[i]!.line === line && !isBrace(tokens[i]!, '{')) {
      for (const k of tokens[i]!.text.split(',')) if (k) keys.push(k);
      i++;
    }
    let plugins: CorefileDirective[];
    if (i < tokens.length && isBrace(tokens[i]!, '{')) {
      const open = tokens[i]!;
      const body = parseBody(tokens, i + 1, open);
      plugins = body.directives;
      i = body.next;
    } else {
      // A Corefile with a single server may omit the braces: the rest of the file is its body.
      const body = parseBody(tokens, i, undefined);
      plugins = body.directives;
      i = body.next;
    }
    const snippet = keys.length === 1 && /^\(.+\)$/.test(keys[0]!);
    servers.push({ keys, zones: snippet ? [] : keys.map(zoneOf), plugins, snippet, line });
  }
  return { servers };
}

function isBrace(t: Token, b: '{' | '}'): boolean {
  return !t.quoted && t.text === b;
}

/** Directives up to the matching "}" (or end of input when `open` is undefined). */
function parseBody(
  tokens: Token[],
  start: number,
  open: Token | undefined,
): { directives: CorefileDirective[]; next: number } {
  const directives: CorefileDirective[] = [];
  let i = start;
  while (i < tokens.length) {
    const t = tokens[i]!;
    if (isBrace(t, '}')) {
      if (!open) throw new Error(`Corefile: unexpected "}" on line ${t.line}`);
      return { directives, next: i + 1 };
    }
    if (isBrace(t, '{')) throw new Error(`Corefile: "{" without a directive on line ${t.line}`);
    const d: CorefileDirective = { name: t.text, args: [], line: t.line };
    i++;
    while (
      i < tokens.length &&
      tokens[i]!.line === t.line &&
      !isBrace(tokens[i]!, '{') &&
      !isBrace(tokens[i]!, '}')
    ) {
      d.args.push(tokens[i]!.text);
      i++;
    }
    if (i < tokens.length && isBrace(tokens[i]!, '{') && tokens[i]!.line === t.line) {
      const body = parseBody(tokens, i + 1, tokens[i]!);
      d.block = body.directives;
      i = body.next;
    }
    directives.push(d);
  }
  if (open) throw new Error(`Corefile: "{" opened on line ${open.line} is never closed`);
  return { directives, next: i };
}

function tokenize(text: string): Token[] {
  const out: Token[] = [];
  let line = 1;
  let i = 0;
  const len = text.length;
  while (i < len) {
    const ch = text[i]!;
    if (ch === '\n') {
      line++;
      i++;
      continue;
    }
    if (ch === ' ' || ch === '\t' || ch === '\r') {
      i++;
      continue;
    }
    if (ch === '#') {
      while (i < len && text[i] !== '\n') i++;
      continue;
    }
    if (ch === '"') {
      const startLine = line;
      let word = '';
      i++;
      while (i < len && text[i] !== '"') {
        if (text[i] === '\\' && i + 1 < len) i++;
        if (text[i] === '\n') line++;
        word += text[i];
        i++;
      }
      if (i >= len) throw new Error(`Corefile: unterminated quote starting on line ${startLine}`);
      i++;
      out.push({ text: word, line: startLine, quoted: true });
      continue;
    }
    let j = i;
    while (j < len && !' \t\r\n'.includes(text[j]!)) j++;
    let word = text.slice(i, j);
    i = j;
    // `name{` and `}` glued to a word: split the brace off (but keep `{$ENV}` placeholders).
    if (word.length > 1 && word.endsWith('{') && !word.startsWith('{$')) {
      out.push({ text: word.slice(0, -1), line, quoted: false });
      word = '{';
    }
    out.push({ text: word, line, quoted: false });
  }
  return out;
}

const DEFAULT_PORT: Record<CorefileZone['scheme'], number> = {
  dns: 53,
  tls: 853,
  https: 443,
  grpc: 443,
  quic: 853,
};

function zoneOf(key: string): CorefileZone {
  let scheme: CorefileZone['scheme'] = 'dns';
  let rest = key;
  const m = /^([a-z]+):\/\//.exec(key);
  if (m) {
    const s = m[1]!;
    if (s === 'tls' || s === 'https' || s === 'grpc' || s === 'quic' || s === 'dns') scheme = s;
    rest = key.slice(m[0].length);
  }
  const colon = rest.lastIndexOf(':');
  let zone = rest;
  let port = DEFAULT_PORT[scheme];
  if (colon !== -1 && /^\d+$/.test(rest.slice(colon + 1))) {
    zone = rest.slice(0, colon);
    port = Number(rest.slice(colon + 1));
  }
  return { zone: zone === '' ? '.' : zone, port, scheme };
}

/** Every directive named `name` in a server block (top level only). */
export function corefilePlugins(server: CorefileServerBlock, name: string): CorefileDirective[] {
  return server.plugins.filter((p) => p.name === name);
}

/** Plugins in non-snippet server blocks that a stock CoreDNS does not have. */
export function unknownCorefilePlugins(corefile: Corefile): CorefileDirective[] {
  return corefile.servers
    .filter((s) => !s.snippet)
    .flatMap((s) => s.plugins.filter((p) => !COREDNS_PLUGINS.has(p.name)));
}
