import { nftBlocks, tableBlocks } from '../../cni/overlay-port-filter.ts';
import { IANA_VXLAN_PORT, LINUX_VXLAN_PORT } from '../../cni/vxlan.ts';
import type { NodeDatapath } from '../../core/datapath-types.ts';
import type { Evidence, Finding } from '../../core/model.ts';
import type { NodeResult, Rule, RuleContext } from '../rule.ts';
import {
  iptablesDumps,
  listSome,
  makeFinding,
  needsNodes,
  nodeOrder,
  nodeSource,
  nodeSubject,
  overlayPorts,
  perAnalysis,
} from './support/datapath.ts';
import { describeProbe, failedProbe, probeSource, probeView } from './support/probes.ts';

interface Block {
  where: string;
  rule: string;
  source: string;
  port: number;
}

interface Pending {
  name: string;
  selfIp: string | undefined;
  evidence: Evidence[];
  confidence: number;
  probesFailed: boolean;
  ports: number[];
  first: Block;
}

/** Blocking nodes seen so far, and who saw no VXLAN packets from whom (for `finish`). */
const state = perAnalysis((ctx) => ({
  nodeIps: [...ctx.index.internalIpByNode.values()],
  pending: [] as Pending[],
  /** Underlay IP -> nodes whose capture saw 0 packets exchanged with it. */
  silentWith: new Map<string, string[]>(),
}));

/** Firewall rules on a node that DROP or REJECT the overlay's UDP port. */
export const overlayPortBlocked: Rule = {
  id: 'overlay-port-blocked',
  layer: 'overlay',
  needs: { cluster: ['nodes'] },
  title: 'Overlay UDP port open between nodes',
  why: `Every cross-node pod packet travels inside VXLAN over UDP ${LINUX_VXLAN_PORT} (or ${IANA_VXLAN_PORT}); a firewall rule dropping that port cuts the node off from every other node while same-node traffic still works.`,
  appliesTo: needsNodes,
  runNode: (ctx: RuleContext, dp: NodeDatapath): NodeResult => {
    const name = dp.name;
    const st = state(ctx);
    for (const [ip, n] of Object.entries(dp.vxlanCapture?.packetsByPeer ?? {})) {
      if (n !== 0) continue;
      const l = st.silentWith.get(ip);
      if (l) l.push(name);
      else st.silentWith.set(ip, [name]);
    }
    if (!dp.iptablesNft && !dp.iptablesLegacy && !dp.nftRuleset)
      return { skipped: 'neither iptables nor the nft ruleset collected' };
    const ports = overlayPorts(dp);
    if (ports.length === 0) return [];
    const blocks: Block[] = [];
    for (const d of iptablesDumps(dp)) {
      for (const t of Object.values(d.dump.tables)) {
        for (const b of tableBlocks(t, ports, st.nodeIps)) {
          blocks.push({
            where: `${d.label} ${t.name} ${b.chain}`,
            rule: `-A ${b.chain} ${b.spec}`,
            source: nodeSource(name, d.key),
            port: b.port,
          });
        }
      }
    }
    for (const b of nftBlocks(dp, ports, st.nodeIps)) {
      blocks.push({ where: b.where, rule: b.text, source: nodeSource(name, 'nftRuleset'), port: b.port });
    }
    if (blocks.length === 0) return [];
    const evidence: Evidence[] = blocks.slice(0, 6).map((b) => ({
      source: b.source,
      observed: `${b.where}: ${b.rule}`,
      expected: `no rule dropping UDP ${b.port} between nodes`,
    }));
    let confidence = 0.8;
    const failed = (probeView(ctx).crossByNode.get(name) ?? []).filter(failedProbe);
    if (failed.length > 0) {
      confidence = 0.9;
      for (const r of failed.slice(0, 3))
        evidence.push({ source: probeSource(r), observed: describeProbe(r) });
    }
    st.pending.push({
      name,
      selfIp: ctx.index.internalIpByNode.get(name),
      evidence,
      confidence,
      probesFailed: failed.length > 0,
      ports,
      first: blocks[0]!,
    });
    return [];
  },
  /** Findings wait for every node: the peers' captures corroborate a block. */
  finish: (ctx: RuleContext): Finding[] => {
    const st = state(ctx);
    const order = nodeOrder(ctx);
    return st.pending
      .sort((a, b) => order(a.name, b.name))
      .map((p) => {
        const { name, evidence, first, ports } = p;
        let confidence = p.confidence;
        if (p.selfIp) {
          const silent = (st.silentWith.get(p.selfIp) ?? []).filter((peer) => peer !== name).sort(order);
          if (silent.length > 0 && p.probesFailed) {
            confidence = 0.95;
            evidence.push({
              source: nodeSource(silent[0]!, 'vxlanCapture'),
              observed: `no VXLAN packets exchanged with ${name} (${p.selfIp}) seen on ${listSome(silent, 5)} while probes ran`,
            });
          }
        }
        return makeFinding(overlayPortBlocked, nodeSubject(name), {
          severity: 'error',
          summary: `${name} drops overlay traffic on UDP ${first.port} (${first.where}: ${first.rule})`,
          evidence,
          cause: { category: 'overlay.port-blocked', confidence, remediation: ['allow-overlay-port'] },
          nextCommands: [
            `iptables-save | grep -E '${ports.join('|')}'`,
            `tcpdump -ni any udp port ${first.port}`,
          ],
        });
      });
  },
};
