/**
 * Seed 000: the underlay carries less than flannel.1's MTU assumes (a switch path with a smaller
 * MTU), so small packets pass and full-size ones vanish: pings work, transfers hang. The lab's
 * switch drops encapsulated frames whose IP length exceeds 1400 bytes to and from the node,
 * while flannel.1 keeps 1450 (which needs 1500 on the wire).
 */
import { NET } from '../topology.ts';
import type { Fault } from './fault.ts';

export const UNDERLAY_ALLOWANCE = 1400;
const TABLE = 'ndlab_mtu';

export const overlayMtuMismatch: Fault = {
  id: 'overlay-mtu-mismatch',
  summary: `the switch path of a node carries at most ${UNDERLAY_ALLOWANCE} bytes; flannel.1 keeps MTU 1450`,
  expectedRootCause: 'overlay.mtu-mismatch',
  scope: 'node',
  inject: async (ctx) => {
    const ip = ctx.node.ip;
    ctx.onSwitch(
      `nft add table bridge ${TABLE} && ` +
        `nft add chain bridge ${TABLE} forward '{ type filter hook forward priority 0; }' && ` +
        `nft add rule bridge ${TABLE} forward ip saddr ${ip} udp dport ${NET.vxlanPort} ip length gt ${UNDERLAY_ALLOWANCE} drop && ` +
        `nft add rule bridge ${TABLE} forward ip daddr ${ip} udp dport ${NET.vxlanPort} ip length gt ${UNDERLAY_ALLOWANCE} drop`,
    );
    return {};
  },
  heal: async (ctx) => {
    ctx.onSwitch(`nft delete table bridge ${TABLE} 2>/dev/null || true`);
  },
  residue: (ctx) =>
    ctx.onSwitch(`nft list tables bridge 2>/dev/null || true`).includes(TABLE)
      ? [`the switch still has nft table bridge ${TABLE}`]
      : [],
};
