import type { NodeDatapath } from '../../core/datapath-types.ts';
import type { Evidence, Finding } from '../../core/model.ts';
import { parseCidr4 } from '../../core/net/ipv4.ts';
import { causeFinding, nodeSubject } from '../finding.ts';
import { logSource, podHealth, podLogs, snapshotTime } from '../k8s.ts';
import { STEP } from '../remediation.ts';
import type { Rule } from '../rule.ts';
import type { SnapshotIndex } from '../snapshot-index.ts';

/** Lines flannel writes once its main loop has ended. */
const STALL_LINE = [
  /Waiting for all goroutines to exit/,
  /\bExiting\b/,
  /^F\d{4} /,
  /level=fatal/,
  /^panic: /,
];
/** Lines flannel writes once it got going; a stall only counts after one of them. */
const STARTED_LINE = [
  /bootstrap done/,
  /Running backend/,
  /Handling initial subnet events/,
  /Wrote subnet file/,
];

/** Where in the log the main loop ended after starting, if it did. */
export function findStall(lines: readonly string[]): { stallAt: number; line: string } | undefined {
  let started = -1;
  let stalled = -1;
  for (let i = 0; i < lines.length; i++) {
    const l = lines[i] as string;
    if (STARTED_LINE.some((re) => re.test(l))) started = i;
    else if (STALL_LINE.some((re) => re.test(l))) stalled = i;
  }
  if (started < 0 || stalled < started) return undefined;
  return { stallAt: stalled, line: lines[stalled] as string };
}

/** Peer pod subnets with no route, and peer VTEPs with no FDB entry, on this node. */
export function missingPeerState(
  node: string,
  dp: NodeDatapath,
  index: SnapshotIndex,
): { routes: string[] | undefined; fdb: string[] | undefined } {
  let routes: string[] | undefined;
  if (dp.routes) {
    const have = new Set(dp.routes.map((r) => parseCidr4(r.dst)?.text ?? r.dst));
    routes = [];
    for (const [peer, cidr] of index.podCidrByNode) {
      if (peer === node) continue;
      if (!have.has(parseCidr4(cidr)?.text ?? cidr)) routes.push(cidr);
    }
  }
  let fdb: string[] | undefined;
  const vxlan = dp.links?.some((l) => /^flannel\.\d+$/.test(l.ifname)) ?? false;
  if (dp.fdb && vxlan) {
    const have = new Set(
      dp.fdb.filter((e) => /^flannel\.\d+$/.test(e.dev) && e.dst).map((e) => e.dst as string),
    );
    fdb = [];
    for (const [peer, ip] of index.internalIpByNode) {
      if (peer !== node && !have.has(ip)) fdb.push(ip);
    }
  }
  return { routes, fdb };
}

/**
 * Flannel's agent can end its main loop right after start-up and stay Running (seed 004): the
 * node then never gets routes or FDB entries for its peers, and its pods lose every other node.
 */
export const cniAgentStalled: Rule = {
  id: 'cni-agent-stalled',
  layer: 'cni',
  title: 'CNI agent running but stalled',
  why: 'A Running, Ready agent that exited its main loop looks healthy while its node has no peer routes; DNS timeouts are the usual symptom (seed 004).',
  appliesTo: ({ index }) =>
    index.cni === 'flannel'
      ? { applies: true }
      : { applies: false, reason: `the stall log patterns are flannel's; this cluster runs ${index.cni}` },
  run: ({ snapshot, index }) => {
    const now = snapshotTime(snapshot);
    const out: Finding[] = [];
    for (const pod of index.cniPods) {
      const node = pod.spec.nodeName;
      if (!node || pod.status.phase !== 'Running') continue;
      const h = podHealth(pod, now);
      if (h.state !== 'ok' && h.state !== 'flapping') continue;
      const container =
        pod.spec.containers.find((c) => /flannel/.test(c.name))?.name ?? pod.spec.containers[0]?.name;
      const text = podLogs(snapshot, pod, container ? { container } : {}).join('\n');
      if (!text || !/goroutines|Exiting|fatal|panic|\nF\d{4} /.test(text)) continue;
      const lines = text.split('\n').filter((l) => l.trim() !== '');
      const stall = findStall(lines);
      if (!stall) continue;
      const evidence: Evidence[] = [
        {
          source: logSource(pod, container),
          observed: lines.slice(Math.max(0, stall.stallAt - 3), stall.stallAt + 1).join('\n'),
          expected: 'the agent keeps watching subnet leases after "bootstrap done"',
        },
      ];
      const dp = snapshot.nodes[node];
      const missing = dp ? missingPeerState(node, dp, index) : { routes: undefined, fdb: undefined };
      const peers = index.podCidrByNode.size - (index.podCidrByNode.has(node) ? 1 : 0);
      if (missing.routes && missing.routes.length > 0) {
        evidence.push({
          source: `nodes/${node}/ip-route.json`,
          observed: `no route to ${missing.routes.slice(0, 10).join(', ')}${missing.routes.length > 10 ? ` and ${missing.routes.length - 10} more` : ''}`,
          expected: `a route via flannel.1 to each of ${peers} peer pod subnets`,
        });
      }
      if (missing.fdb && missing.fdb.length > 0) {
        evidence.push({
          source: `nodes/${node}/bridge-fdb.json`,
          observed: `no flannel.1 FDB entry for ${missing.fdb.slice(0, 10).join(', ')}${missing.fdb.length > 10 ? ` and ${missing.fdb.length - 10} more` : ''}`,
          expected: 'one FDB entry per peer VTEP',
        });
      }
      const corroborated = (missing.routes?.length ?? 0) > 0 || (missing.fdb?.length ?? 0) > 0;
      const unknown = missing.routes === undefined && missing.fdb === undefined;
      const summary = corroborated
        ? `flannel on ${node} exited its main loop while its pod stays Running; ${node} lacks routes to ${missing.routes?.length ?? 0} of ${peers} peer pod subnets`
        : `flannel on ${node} exited its main loop while its pod stays Running`;
      out.push(
        causeFinding(
          cniAgentStalled,
          {
            subject: nodeSubject(node),
            severity: corroborated ? 'critical' : unknown ? 'error' : 'warning',
            summary,
            evidence,
            nextCommands: [
              `kubectl -n ${pod.metadata.namespace ?? 'default'} logs ${pod.metadata.name} --tail=200`,
              `ip route show | grep -E "10\\.|flannel"   # on ${node}`,
              `kubectl -n ${pod.metadata.namespace ?? 'default'} delete pod ${pod.metadata.name}`,
            ],
          },
          {
            category: 'cni.agent-stalled',
            confidence: corroborated ? 0.95 : unknown ? 0.8 : 0.6,
            remediation: [STEP.restartCniAgent],
          },
        ),
      );
    }
    return out;
  },
};
