/**
 * Talos nodes have no shell: `talosctl get routes|links|addresses -o json` is how seed 004 looked
 * at them. This maps those resources onto the bundle layout's raw formats (`ip -j route show
 * table all`, `ip -d -j addr show`), so the same parsers and rules read a Talos node. Pure.
 */

/** One resource of `talosctl get <kind> -o json`. */
export interface TalosResource {
  node?: string;
  metadata: { namespace?: string; type?: string; id: string };
  spec: Record<string, unknown>;
}

/**
 * talosctl prints one pretty-printed JSON object per resource, back to back (not an array):
 * split them by brace depth outside strings.
 */
export function parseTalosJsonStream(text: string): TalosResource[] {
  const out: TalosResource[] = [];
  let depth = 0;
  let start = -1;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (inString) {
      if (c === '\\') i++;
      else if (c === '"') inString = false;
      continue;
    }
    if (c === '"') inString = true;
    else if (c === '{') {
      if (depth === 0) start = i;
      depth++;
    } else if (c === '}') {
      depth--;
      if (depth === 0 && start >= 0) {
        const obj = JSON.parse(text.slice(start, i + 1)) as Partial<TalosResource>;
        if (obj.metadata && typeof obj.metadata.id === 'string' && obj.spec && typeof obj.spec === 'object')
          out.push(obj as TalosResource);
        start = -1;
      }
    }
  }
  if (depth !== 0) throw new Error('talosctl output: an object is cut off');
  return out;
}

const str = (o: Record<string, unknown>, k: string): string | undefined =>
  typeof o[k] === 'string' && o[k] !== '' ? (o[k] as string) : undefined;
const num = (o: Record<string, unknown>, k: string): number | undefined =>
  typeof o[k] === 'number' ? (o[k] as number) : undefined;

/** RouteStatus resources as `ip -j route show table all` JSON. */
export function talosRoutesToIpJson(resources: readonly TalosResource[]): string {
  const routes = resources.map(({ spec: s }) => {
    const dst = str(s, 'dst') ?? 'default';
    const r: Record<string, unknown> = {};
    const type = str(s, 'type');
    if (type && type !== 'unicast') r['type'] = type;
    r['dst'] = dst;
    const gw = str(s, 'gateway');
    if (gw) r['gateway'] = gw;
    const dev = str(s, 'outLinkName');
    if (dev) r['dev'] = dev;
    const table = str(s, 'table') ?? (num(s, 'table') === undefined ? undefined : String(num(s, 'table')));
    if (table && table !== 'main' && table !== '254') r['table'] = table;
    const proto = str(s, 'protocol');
    if (proto) r['protocol'] = proto;
    const scope = str(s, 'scope');
    if (scope && scope !== 'global') r['scope'] = scope;
    const src = str(s, 'src');
    if (src) r['prefsrc'] = src;
    const metric = num(s, 'priority');
    if (metric !== undefined && metric !== 0) r['metric'] = metric;
    const flags = str(s, 'flags');
    r['flags'] = flags ? flags.split(/[,\s]+/).filter(Boolean) : [];
    return r;
  });
  return `${JSON.stringify(routes)}\n`;
}

/** LinkStatus and AddressStatus resources as `ip -d -j addr show` JSON. */
export function talosLinksToIpJson(
  links: readonly TalosResource[],
  addresses: readonly TalosResource[],
): string {
  const nameByIndex = new Map<number, string>();
  for (const l of links) {
    const idx = num(l.spec, 'index');
    if (idx !== undefined) nameByIndex.set(idx, l.metadata.id);
  }
  const addrsByLink = new Map<string, Record<string, unknown>[]>();
  for (const a of addresses) {
    const s = a.spec;
    const link = str(s, 'linkName') ?? a.metadata.id.split('/')[0] ?? '';
    const cidr = str(s, 'address');
    if (!cidr) continue;
    const [local, prefix] = cidr.split('/');
    const family = str(s, 'family') === 'inet6' || local?.includes(':') ? 'inet6' : 'inet';
    const entry: Record<string, unknown> = {
      family,
      local,
      prefixlen: Number(prefix ?? (family === 'inet6' ? 128 : 32)),
    };
    const scope = str(s, 'scope');
    if (scope) entry['scope'] = scope;
    const brd = str(s, 'broadcast');
    if (brd) entry['broadcast'] = brd;
    addrsByLink.set(link, [...(addrsByLink.get(link) ?? []), entry]);
  }
  const out = links.map(({ metadata, spec: s }) => {
    const e: Record<string, unknown> = {
      ifindex: num(s, 'index') ?? 0,
      ifname: metadata.id,
      flags: (str(s, 'flags') ?? '').split(/[,\s]+/).filter(Boolean),
      mtu: num(s, 'mtu') ?? 0,
      operstate: (str(s, 'operationalState') ?? 'unknown').toUpperCase(),
    };
    const type = str(s, 'type');
    if (type) e['link_type'] = type;
    const mac = str(s, 'hardwareAddr');
    if (mac) e['address'] = mac;
    const lower = num(s, 'linkIndex');
    if (lower && nameByIndex.has(lower) && nameByIndex.get(lower) !== metadata.id)
      e['link'] = nameByIndex.get(lower);
    const master = num(s, 'masterIndex');
    if (master && nameByIndex.has(master)) e['master'] = nameByIndex.get(master);
    const kind = str(s, 'kind');
    if (kind) {
      const info: Record<string, unknown> = { info_kind: kind };
      const vx = s['vxlan'];
      if (kind === 'vxlan' && vx && typeof vx === 'object') {
        const v = vx as Record<string, unknown>;
        const data: Record<string, unknown> = {};
        const id = num(v, 'vxlanID') ?? num(v, 'id');
        if (id !== undefined) data['id'] = id;
        const port = num(v, 'port');
        if (port !== undefined) data['port'] = port;
        const local = str(v, 'local');
        if (local) data['local'] = local;
        info['info_data'] = data;
      }
      e['linkinfo'] = info;
    }
    e['addr_info'] = addrsByLink.get(metadata.id) ?? [];
    return e;
  });
  return `${JSON.stringify(out)}\n`;
}
