import type { FdbEntry } from '../../core/datapath-types.ts';
import { copyOptional, optString, parseJsonObjects, reqString, stringArray } from './json-input.ts';

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
    copyOptional(f, e, ['dst', 'master'], ['vlan']);
    const state = optString(e, 'state');
    if (state) f.state = state;
    return f;
  });
}
