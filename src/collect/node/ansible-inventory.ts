/**
 * Ansible INI inventories (`ansible/inventory.txt`, as the seeds use): groups, hosts, host
 * variables on the host line, `[group:vars]`, `[group:children]`, and numeric host ranges
 * (`worker[01:03]`). Only what SSH needs is kept. Pure: text in, hosts out.
 */

/** One host and how to reach it. */
export interface InventoryHost {
  /** The inventory name (often the node's name). */
  name: string;
  /** `ansible_host`, else the name. */
  address: string;
  user?: string;
  port?: number;
  privateKeyFile?: string;
  /** `ansible_become`: run the script through `sudo -n`. */
  become: boolean;
  /** Every group the host belongs to, directly or through `:children`. */
  groups: string[];
}

interface RawHost {
  vars: Record<string, string>;
  groups: Set<string>;
}

/** Parses an INI inventory. Throws an Error naming the line for syntax it cannot read. */
export function parseAnsibleInventory(text: string): InventoryHost[] {
  const hosts = new Map<string, RawHost>();
  const groupVars = new Map<string, Record<string, string>>();
  const children = new Map<string, Set<string>>();
  let section: { group: string; kind: 'hosts' | 'vars' | 'children' } = { group: 'ungrouped', kind: 'hosts' };

  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const line = stripComment(lines[i] ?? '').trim();
    if (line === '') continue;
    const header = /^\[([^\]:]+)(?::(vars|children))?\]$/.exec(line);
    if (header) {
      const group = header[1] ?? 'ungrouped';
      section = { group, kind: (header[2] as 'vars' | 'children' | undefined) ?? 'hosts' };
      continue;
    }
    if (line.startsWith('['))
      throw new Error(`inventory line ${i + 1}: cannot read section header ${JSON.stringify(line)}`);
    if (section.kind === 'vars') {
      const kv = /^([A-Za-z_][\w.]*)\s*=\s*(.*)$/.exec(line);
      if (!kv) throw new Error(`inventory line ${i + 1}: expected key=value in [${section.group}:vars]`);
      const vars = groupVars.get(section.group) ?? {};
      vars[kv[1] ?? ''] = unquote(kv[2] ?? '');
      groupVars.set(section.group, vars);
    } else if (section.kind === 'children') {
      const set = children.get(section.group) ?? new Set<string>();
      set.add(line.split(/\s+/)[0] ?? line);
      children.set(section.group, set);
    } else {
      const [pattern, ...rest] = tokens(line);
      if (pattern === undefined) continue;
      const vars: Record<string, string> = {};
      for (const t of rest) {
        const eq = t.indexOf('=');
        if (eq <= 0) throw new Error(`inventory line ${i + 1}: expected key=value, got ${JSON.stringify(t)}`);
        vars[t.slice(0, eq)] = unquote(t.slice(eq + 1));
      }
      for (const name of expandRange(pattern)) {
        const h = hosts.get(name) ?? { vars: {}, groups: new Set<string>() };
        Object.assign(h.vars, vars);
        h.groups.add(section.group);
        hosts.set(name, h);
      }
    }
  }

  // Groups a group belongs to, through :children, nearest first.
  const parentsOf = (group: string): string[] => {
    const out: string[] = [];
    const queue = [group];
    while (queue.length > 0) {
      const g = queue.shift() as string;
      for (const [parent, kids] of children) {
        if (kids.has(g) && !out.includes(parent) && parent !== group) {
          out.push(parent);
          queue.push(parent);
        }
      }
    }
    return out;
  };

  return [...hosts.entries()].map(([name, h]) => {
    const direct = [...h.groups];
    const inherited = direct.flatMap(parentsOf).filter((g) => !direct.includes(g));
    const groups = [...new Set([...direct, ...inherited])];
    // Ansible precedence, simplified: all < parent groups < direct groups < host line.
    const vars: Record<string, string> = {
      ...groupVars.get('all'),
      ...Object.assign({}, ...[...inherited].reverse().map((g) => groupVars.get(g) ?? {})),
      ...Object.assign({}, ...direct.map((g) => groupVars.get(g) ?? {})),
      ...h.vars,
    };
    const get = (...keys: string[]): string | undefined =>
      keys.map((k) => vars[k]).find((v) => v !== undefined && v !== '');
    const port = get('ansible_port', 'ansible_ssh_port');
    const user = get('ansible_user', 'ansible_ssh_user');
    const key = get('ansible_ssh_private_key_file', 'ansible_private_key_file');
    const become = /^(true|yes|1)$/i.test(get('ansible_become', 'become') ?? '');
    return {
      name,
      address: get('ansible_host', 'ansible_ssh_host') ?? name,
      ...(user ? { user } : {}),
      ...(port && /^\d+$/.test(port) ? { port: Number(port) } : {}),
      ...(key ? { privateKeyFile: key } : {}),
      become,
      groups: groups.filter((g) => g !== 'ungrouped'),
    };
  });
}

/** `#` and `;` start a comment at the start of a line or after whitespace (not inside quotes). */
function stripComment(line: string): string {
  let quote: string | undefined;
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (quote) {
      if (c === quote) quote = undefined;
    } else if (c === '"' || c === "'") {
      quote = c;
    } else if ((c === '#' || c === ';') && (i === 0 || /\s/.test(line[i - 1] ?? ''))) {
      return line.slice(0, i);
    }
  }
  return line;
}

/** Splits on whitespace outside quotes. */
function tokens(line: string): string[] {
  return line.match(/(?:[^\s"']+|"[^"]*"|'[^']*')+/g) ?? [];
}

function unquote(v: string): string {
  const t = v.trim();
  if (t.length >= 2 && (t[0] === '"' || t[0] === "'") && t.at(-1) === t[0]) return t.slice(1, -1);
  return t;
}

/** `worker[01:03].lan` -> worker01.lan, worker02.lan, worker03.lan; `node[a:c]` too. */
export function expandRange(pattern: string): string[] {
  const m = /^(.*)\[([0-9]+|[a-z]):([0-9]+|[a-z])(?::(\d+))?\](.*)$/.exec(pattern);
  if (!m) return [pattern];
  const [, pre = '', from = '', to = '', stepText, post = ''] = m;
  const step = stepText ? Number(stepText) : 1;
  const out: string[] = [];
  if (/^\d+$/.test(from) && /^\d+$/.test(to)) {
    const width = from.length;
    for (let n = Number(from); n <= Number(to); n += step)
      out.push(`${pre}${String(n).padStart(width, '0')}${post}`);
  } else {
    for (let c = from.charCodeAt(0); c <= to.charCodeAt(0); c += step)
      out.push(`${pre}${String.fromCharCode(c)}${post}`);
  }
  return out.flatMap(expandRange);
}
