import type { Neighbor } from '../../core/datapath-types.ts';
import { copyOptional, parseJsonObjects, reqString, stringArray } from './json-input.ts';

const WHAT = 'ip -j neigh show';

/** Parses `ip -j neigh show` (ARP / NDP entries, with their NUD states). */
export function parseIpNeigh(text: string): Neighbor[] {
  const entries = parseJsonObjects(text, WHAT);
  return entries.map((e, i) =>
    copyOptional<Neighbor>(
      {
        dst: reqString(e, 'dst', WHAT, i),
        dev: reqString(e, 'dev', WHAT, i),
        state: stringArray(e, 'state'),
      },
      e,
      ['lladdr'],
    ),
  );
}
