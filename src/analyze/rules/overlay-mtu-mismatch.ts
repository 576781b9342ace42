import { VXLAN_OVERHEAD } from '../../cni/vxlan.ts';
import type { Link, NodeDatapath } from '../../core/datapath-types.ts';
import type { Evidence, Finding } from '../../core/model.ts';
import type { NodeResult, Rule, RuleContext } from '../rule.ts';
import {
  allOf,
  checkedCni,
  isMainRoute,
  lacksPart,
  linksByName,
  makeFinding,
  needsCheckedCni,
  needsNodes,
  nodeSource,
  nodeSubject,
  notCheckedCniNode,
  perAnalysis,
} from './support/datapath.ts';
import { describeProbe, failedProbe, passedProbe, probeSource, probeView } from './support/probes.ts';

/** The device VXLAN packets leave by: flannel.1's lower device, else the one holding InternalIP, else the default route's. */
function underlay(ctx: RuleContext, name: string, dp: NodeDatapath, vx: Link): Link | undefined {
  const links = linksByName(dp.links ?? []);
  const lower = vx.vxlan?.dev ?? vx.link;
  if (lower && links.has(lower)) return links.get(lower);
  const ip = vx.vxlan?.local ?? ctx.index.internalIpByNode.get(name);
  if (ip) {
    const holder = dp.links?.find((l) => l.addrs.some((a) => a.local === ip));
    if (holder) return holder;
  }
  const dflt = dp.routes?.find((r) => r.dst === 'default' && isMainRoute(r))?.dev;
  return dflt ? links.get(dflt) : undefined;
}

/** Probes whose packets are small enough to cross any path an overlay runs on. */
const SMALL_PACKET_SCENARIOS = ['pod-to-pod-icmp', 'pod-to-pod-tcp'] as const;

/** Two nodes in either order: a path that carries less does so both ways. */
function pairKey(a: string | undefined, b: string | undefined): string {
  return [a ?? '', b ?? ''].sort().join('|');
}

/** Nodes whose configuration already earned a finding, so the probe check does not repeat them. */
const configured = perAnalysis(() => new Set<string>());

/**
 * The path between nodes can carry less than the nodes' own interfaces say (a switch, a VPN or a
 * cloud underlay with a smaller MTU): every node is configured right, yet full-size overlay
 * packets vanish. Don't-fragment probes at the overlay's size show it; the node that every
 * failing pair shares is where the path is short.
 */
function fromProbes(ctx: RuleContext): Finding[] {
  const v = probeView(ctx);
  const icmpOk = new Set(
    (v.byScenario.get('pod-to-pod-icmp') ?? []).filter(passedProbe).map((r) => `${r.from.node}>${r.to.node}`),
  );
  // A path that only carries less drops big packets and nothing else. Where a small probe
  // between the same two nodes failed too (a firewall that comes and goes, a flapping link),
  // the lost big ones say nothing about size.
  const smallLost = new Set(
    SMALL_PACKET_SCENARIOS.flatMap((s) => v.byScenario.get(s) ?? [])
      .filter(failedProbe)
      .map((r) => pairKey(r.from.node, r.to.node)),
  );
  // Full-size probes that should pass but failed, between nodes whose small packets get through.
  const lost = (v.byScenario.get('mtu') ?? []).filter(
    (r) =>
      r.expect === 'pass' &&
      r.size !== undefined &&
      r.from.node !== undefined &&
      r.to.node !== undefined &&
      r.from.node !== r.to.node &&
      failedProbe(r) &&
      icmpOk.has(`${r.from.node}>${r.to.node}`) &&
      !smallLost.has(pairKey(r.from.node, r.to.node)),
  );
  if (lost.length === 0) return [];
  const overlayDev = checkedCni(ctx).datapath.overlayDevice;
  const involved = new Map<string, number>();
  for (const r of lost)
    for (const n of new Set([r.from.node!, r.to.node!])) involved.set(n, (involved.get(n) ?? 0) + 1);
  const common = [...involved].filter(([, c]) => c === lost.length).map(([n]) => n);
  if (common.length !== 1) return [];
  const node = common[0]!;
  if (configured(ctx).has(node)) return [];
  const size = Math.min(...lost.map((r) => r.size!));
  const small = (v.byScenario.get('pod-to-pod-icmp') ?? []).find(
    (r) => passedProbe(r) && (r.from.node === node || r.to.node === node) && r.from.node !== r.to.node,
  );
  const evidence: Evidence[] = lost.slice(0, 3).map((r) => ({
    source: probeSource(r),
    observed: describeProbe(r),
    expected: `${size}-byte don't-fragment packets pass, as ${overlayDev}'s MTU allows`,
  }));
  if (small) evidence.push({ source: probeSource(small), observed: describeProbe(small) });
  return [
    makeFinding(overlayMtuMismatch, nodeSubject(node), {
      severity: 'error',
      summary: `full-size overlay packets (${size} bytes, don't fragment) to and from ${node} are lost while small ones pass: the path to ${node} carries less than ${overlayDev}'s MTU plus ${VXLAN_OVERHEAD} bytes of VXLAN`,
      evidence,
      cause: { category: 'overlay.mtu-mismatch', confidence: 0.8, remediation: ['fix-overlay-mtu'] },
      nextCommands: [
        `ping -M do -s ${size} <pod IP on ${node}>   # from a pod on another node`,
        `ping -M do -s ${size + VXLAN_OVERHEAD} <${node}'s InternalIP>   # from another node: the underlay's path MTU`,
        `ip -d link show ${overlayDev}`,
      ],
    }),
  ];
}

/** The overlay device (flannel.1) must fit in the underlay MTU minus VXLAN's 50 bytes, and pods must not exceed flannel.1. */
export const overlayMtuMismatch: Rule = {
  id: 'overlay-mtu-mismatch',
  layer: 'overlay',
  needs: { cluster: ['nodes'], node: ['links'] },
  title: 'Overlay MTU fits the underlay',
  why: 'VXLAN adds 50 bytes to every packet; an overlay or pod MTU that ignores this makes small packets work and full-size ones (TLS handshakes, large DNS answers, file transfers) vanish.',
  appliesTo: (ctx) => allOf(needsCheckedCni(ctx), needsNodes(ctx)),
  runNode: (ctx: RuleContext, dp: NodeDatapath): NodeResult => {
    const name = dp.name;
    const skip = notCheckedCniNode(ctx, dp) ?? lacksPart(dp, 'links');
    if (skip) return skip;
    const probes = probeView(ctx);
    const mtuProbes = probes.byScenario.get('mtu') ?? [];
    const out: Finding[] = [];
    if (!dp.links) return out;
    const cni = checkedCni(ctx);
    const overlayDev = cni.datapath.overlayDevice;
    const bridgeDev = cni.datapath.bridge;
    const links = linksByName(dp.links);
    const vx = links.get(overlayDev);
    if (!vx) return out;
    const source = nodeSource(name, 'links');
    const evidence: Evidence[] = [];
    let confidence = 0;
    const under = underlay(ctx, name, dp, vx);
    const fit = under ? under.mtu - VXLAN_OVERHEAD : undefined;
    if (under && fit !== undefined && vx.mtu > fit) {
      confidence = 0.85;
      evidence.push({
        source,
        observed: `${overlayDev} mtu ${vx.mtu}, underlay ${under.ifname} mtu ${under.mtu}`,
        expected: `${overlayDev} mtu <= ${fit} (${under.ifname} ${under.mtu} - ${VXLAN_OVERHEAD} VXLAN overhead)`,
      });
    }
    const agent = cni.nodeAgentState(dp);
    const envMtu = agent?.mtu;
    if (agent && envMtu !== undefined && envMtu !== vx.mtu) {
      confidence = Math.max(confidence, 0.6);
      evidence.push({
        source: nodeSource(name, agent.part),
        observed: `${agent.keys.mtu}=${envMtu}, ${overlayDev} mtu ${vx.mtu}`,
        expected: `${agent.keys.mtu} equal to ${overlayDev} mtu`,
      });
    } else if (agent && envMtu !== undefined && fit !== undefined && envMtu > fit && confidence === 0) {
      confidence = 0.8;
      evidence.push({
        source: nodeSource(name, agent.part),
        observed: `${agent.keys.mtu}=${envMtu}`,
        expected: `${agent.keys.mtu} <= ${fit}`,
      });
    }
    const podSide = dp.links.filter(
      (l) => bridgeDev !== undefined && (l.ifname === bridgeDev || l.master === bridgeDev) && l.mtu > vx.mtu,
    );
    if (podSide.length > 0) {
      confidence = Math.max(confidence, 0.6);
      const names = podSide.slice(0, 4).map((l) => `${l.ifname} mtu ${l.mtu}`);
      evidence.push({
        source,
        observed: `${names.join(', ')}${podSide.length > 4 ? ` and ${podSide.length - 4} more` : ''}`,
        expected: `pod-side MTU <= ${overlayDev} mtu ${vx.mtu}`,
      });
    }
    if (confidence === 0) return out;
    configured(ctx).add(name);
    const mine = mtuProbes.filter((r) => r.from.node === name || r.to.node === name);
    const bigFail = mine.filter((r) => failedProbe(r) && r.size !== undefined);
    const smallPass = mine.filter((r) => passedProbe(r) && r.size !== undefined);
    const minFail = Math.min(...bigFail.map((r) => r.size!));
    const corroborated = bigFail.length > 0 && smallPass.some((r) => r.size! < minFail);
    if (corroborated) {
      confidence = Math.min(0.95, confidence + 0.1);
      const pass = smallPass.find((r) => r.size! < minFail)!;
      evidence.push({ source: probeSource(pass), observed: describeProbe(pass) });
      evidence.push({ source: probeSource(bigFail[0]!), observed: describeProbe(bigFail[0]!) });
    }
    out.push(
      makeFinding(overlayMtuMismatch, nodeSubject(name), {
        severity: confidence >= 0.8 ? 'error' : 'warning',
        summary: `overlay MTU on ${name} does not fit: ${evidence[0]!.observed}`,
        evidence,
        cause: { category: 'overlay.mtu-mismatch', confidence, remediation: ['fix-overlay-mtu'] },
        nextCommands: [
          `ip -d link show ${overlayDev}`,
          `ip link show ${under?.ifname ?? 'eth0'}`,
          ...cni.statusCommands,
        ],
      }),
    );

    return out;
  },
  finish: fromProbes,
};
