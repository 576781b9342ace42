/**
 * Puts a hand-made iptables rule at the top of its chain so that it is still there when the
 * diagnosis looks. In the lab, kube-router's policy controller rewrites the whole filter table
 * on pod events (iptables-save, its own edits, iptables-restore): a rule inserted between its
 * save and its restore is silently dropped by the restore, and the fault would not be in force
 * while netdoctor probes. A real firewall rule stays where it was put, so the rule is read back
 * twice, a few seconds apart, and inserted again if a restore in flight took it away.
 */
import { sleep } from '../shell.ts';
import type { FaultContext } from './fault.ts';

/** How long a rule must survive before it counts as in place: longer than one table rewrite. */
const SETTLE_MS = 3_000;
const ATTEMPTS = 4;

/**
 * Inserts `-I <chain> 1 <spec>` with `cmd` (e.g. `iptables-nft -w -t filter`) on the fault's
 * node, and returns once two reads `SETTLE_MS` apart both find it.
 */
export async function insertRuleToStay(
  ctx: FaultContext,
  node: FaultContext['node'],
  cmd: string,
  chain: string,
  spec: string,
): Promise<void> {
  const present = () => ctx.tryOnNode(node, `${cmd} -C ${chain} ${spec}`).code === 0;
  let seen = 0;
  for (let attempt = 1; attempt <= ATTEMPTS; attempt++) {
    if (!present()) {
      ctx.onNode(node, `${cmd} -I ${chain} 1 ${spec}`);
      seen = 0;
    }
    await sleep(SETTLE_MS);
    if (present() && ++seen >= 2) return;
  }
  throw new Error(`${node.name}: ${cmd} ${chain} ${spec} did not stay: another controller keeps removing it`);
}
