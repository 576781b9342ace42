import type { FdbEntry } from '../../core/datapath-types.ts';
import { optNumber, optString, parseJsonObjects, reqString, stringArray } from './json-input.ts';

const WHAT = 'bridge -j fdb show';

/**
 * Parses `bridge -j fdb show`. The device is `ifname` in bridge's JSON; VXLAN remotes are
 * `dst`. An empty `state` (dynamically learnt entries) is left out.
 */
export function parseBridgeFdb(text: string): FdbEntry[] {
  const entries = parseJsonObjects(text, WHAT);
  return entries.map((e, i) => {
    const f: FdbEntry = {
      mac: reqString(e, 'mac', WHAT, i),
      dev: reqString(e, 'ifname', WHAT, i),
      flags: stringArray(e, 'flags'),
    };
    const dst = optString(e, 'dst');
    if (dst !== undefined) f.dst = dst;
    const master = optString(e, 'master');
    if (master !== undefined) f.master = master;
    const vlan = optNumber(e, 'vlan');
    if (vlan !== undefined) f.vlan = vlan;
    const state = optString(e, 'state');
    if (state) f.state = state;
    return f;
  });
}
