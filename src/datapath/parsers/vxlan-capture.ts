import type { VxlanCapture } from '../../core/datapath-types.ts';
import { isObject, parseJson, typeName } from './json-input.ts';

const WHAT = 'vxlan-capture.json';

/** Parses and checks the overlay packet counts a collector recorded (VxlanCapture). */
export function parseVxlanCapture(text: string): VxlanCapture {
  const d = parseJson(text, WHAT);
  if (!isObject(d)) throw new Error(`${WHAT}: expected an object, got ${typeName(d)}`);
  const { iface, port, seconds, packetsByPeer, total } = d;
  if (typeof iface !== 'string') throw new Error(`${WHAT}: "iface" must be a string`);
  if (typeof port !== 'number' || !Number.isInteger(port))
    throw new Error(`${WHAT}: "port" must be an integer`);
  if (typeof seconds !== 'number') throw new Error(`${WHAT}: "seconds" must be a number`);
  if (typeof total !== 'number') throw new Error(`${WHAT}: "total" must be a number`);
  if (!isObject(packetsByPeer)) throw new Error(`${WHAT}: "packetsByPeer" must be an object`);
  const byPeer: Record<string, number> = {};
  for (const [peer, n] of Object.entries(packetsByPeer)) {
    if (typeof n !== 'number') throw new Error(`${WHAT}: packetsByPeer["${peer}"] must be a number`);
    byPeer[peer] = n;
  }
  return { iface, port, seconds, packetsByPeer: byPeer, total };
}
