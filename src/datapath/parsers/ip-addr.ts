import type { Link, LinkAddr } from '../../core/datapath-types.ts';
import {
  copyOptional,
  isObject,
  optNumber,
  optString,
  parseJsonObjects,
  reqString,
  stringArray,
} from './json-input.ts';

const WHAT = 'ip -d -j addr show';

/**
 * Parses `ip -d -j addr show`: every interface with its addresses, its kind (`linkinfo.info_kind`)
 * and, for VXLAN devices, the VNI, UDP port, local address, underlay device and learning flag.
 */
export function parseIpAddr(text: string): Link[] {
  const entries = parseJsonObjects(text, WHAT);
  const links: Link[] = [];
  for (let i = 0; i < entries.length; i++) {
    const e = entries[i]!;
    const ifindex = optNumber(e, 'ifindex');
    const mtu = optNumber(e, 'mtu');
    if (ifindex === undefined || mtu === undefined)
      throw new Error(`${WHAT}: entry ${i} lacks ifindex or mtu`);
    const link: Link = {
      ifindex,
      ifname: reqString(e, 'ifname', WHAT, i),
      flags: stringArray(e, 'flags'),
      mtu,
      operstate: optString(e, 'operstate') ?? 'UNKNOWN',
      addrs: parseAddrs(e['addr_info']),
    };
    const linkType = optString(e, 'link_type');
    if (linkType !== undefined) link.linkType = linkType;
    copyOptional(link, e, ['address', 'link', 'master']);
    const info = e['linkinfo'];
    if (isObject(info)) {
      const kind = optString(info, 'info_kind');
      if (kind !== undefined) link.kind = kind;
      const data = info['info_data'];
      if (kind === 'vxlan' && isObject(data)) link.vxlan = vxlanInfo(data);
    }
    links.push(link);
  }
  return links;
}

function vxlanInfo(d: Record<string, unknown>): NonNullable<Link['vxlan']> {
  const v = copyOptional<NonNullable<Link['vxlan']>>({}, d, [], ['id', 'port']);
  const local = optString(d, 'local') ?? optString(d, 'local6');
  if (local !== undefined) v.local = local;
  const dev = optString(d, 'link');
  if (dev !== undefined) v.dev = dev;
  if (typeof d['learning'] === 'boolean') v.learning = d['learning'];
  return v;
}

function parseAddrs(raw: unknown): LinkAddr[] {
  if (!Array.isArray(raw)) return [];
  const out: LinkAddr[] = [];
  for (const a of raw) {
    if (!isObject(a)) continue;
    const family = a['family'];
    const local = optString(a, 'local');
    const prefixlen = optNumber(a, 'prefixlen');
    if ((family !== 'inet' && family !== 'inet6') || local === undefined || prefixlen === undefined) continue;
    out.push(copyOptional<LinkAddr>({ family, local, prefixlen }, a, ['broadcast', 'scope']));
  }
  return out;
}
