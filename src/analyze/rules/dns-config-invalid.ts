import type { Evidence } from '../../core/model.ts';
import { type Corefile, parseCorefile, unknownCorefilePlugins } from '../../datapath/parsers/corefile.ts';
import { causeFinding } from '../finding.ts';
import { logSource, podHealth, podLogs, snapshotTime } from '../k8s.ts';
import { STEP } from '../remediation.ts';
import type { Rule } from '../rule.ts';
import { perAnalysis } from './support/datapath.ts';

const LOOPBACK = /^(127\.\d+\.\d+\.\d+|::1|\[::1\]|localhost)(:\d+)?$/;
const LOOP_LOG = /plugin\/loop: Loop \(.*\) detected/;
/**
 * What CoreDNS prints when it cannot load its Corefile, then exits: `/etc/coredns/Corefile:18 -
 * Error during parsing: unknown property 'max_concurent'`, an `Unknown directive`, a forward
 * to a file that does not exist. netdoctor's own parser knows plugins, not every property.
 */
const LOAD_ERROR_LOG =
  /Error during parsing|Unknown directive|not an IP address or file|no such file or directory/;
const SOURCE = 'cluster/configmaps.json#kube-system/coredns Corefile';

const corednsNodes = perAnalysis(
  (ctx) => new Set(ctx.index.corednsPods.map((p) => p.spec.nodeName).filter((n): n is string => !!n)),
);
/** Node name -> its resolv.conf nameservers, for the nodes that run CoreDNS. */
const nodeNameservers = perAnalysis(() => new Map<string, string[]>());

interface Problem {
  observed: string;
  expected: string;
  loop?: boolean;
}

/** What is wrong with a parsed Corefile, given the nameservers its pods' nodes hand it. */
export function corefileProblems(corefile: Corefile, nodeNameservers: readonly string[]): Problem[] {
  const out: Problem[] = [];
  for (const p of unknownCorefilePlugins(corefile)) {
    out.push({
      observed: `line ${p.line}: unknown plugin "${p.name}"`,
      expected: 'only plugins CoreDNS is built with',
    });
  }
  for (const server of corefile.servers) {
    if (server.snippet) continue;
    const hasLoop = server.plugins.some((p) => p.name === 'loop');
    for (const fwd of server.plugins.filter((p) => p.name === 'forward')) {
      const upstreams = fwd.args.slice(1);
      if (upstreams.length === 0) {
        out.push({
          observed: `line ${fwd.line}: forward ${fwd.args.join(' ')} names no upstream`,
          expected: 'forward <zone> <upstream>...',
        });
        continue;
      }
      const self = upstreams.filter((u) => LOOPBACK.test(u.replace(/^dns:\/\//, '')));
      const viaResolv = upstreams.some((u) => u.startsWith('/'))
        ? nodeNameservers.filter((n) => LOOPBACK.test(n))
        : [];
      if (self.length > 0 || viaResolv.length > 0) {
        const target =
          self.length > 0
            ? self.join(', ')
            : `/etc/resolv.conf (nameserver ${viaResolv.join(', ')} on the node)`;
        out.push({
          observed: `line ${fwd.line}: forward to ${target} sends queries back to CoreDNS itself${hasLoop ? '; the loop plugin will detect it and stop CoreDNS' : ''}`,
          expected: 'an upstream resolver outside the pod (the node’s real nameserver)',
          loop: true,
        });
      }
    }
  }
  return out;
}

/** A broken Corefile stops CoreDNS or makes it forward in a circle. */
export const dnsConfigInvalid: Rule = {
  id: 'dns-config-invalid',
  layer: 'dns',
  needs: { cluster: ['configMaps', 'pods'] },
  title: 'Corefile is valid',
  why: 'CoreDNS refuses to start on an unknown plugin or a forward with no upstream, and exits when the loop plugin sees its queries come back: cluster DNS goes down with it.',
  appliesTo: ({ snapshot }) =>
    snapshot.cluster.configMaps.some((c) => c.metadata.name === 'coredns' && c.data?.Corefile !== undefined)
      ? { applies: true }
      : { applies: false, reason: 'no kube-system/coredns ConfigMap with a Corefile' },
  /** Node phase: the nameservers the nodes of CoreDNS pods hand to CoreDNS. */
  runNode: (ctx, dp) => {
    if (corednsNodes(ctx).has(dp.name)) nodeNameservers(ctx).set(dp.name, dp.resolvConf?.nameservers ?? []);
    return [];
  },
  finish: (ctx) => {
    const { snapshot, index } = ctx;
    const cm = snapshot.cluster.configMaps.find(
      (c) => c.metadata.name === 'coredns' && (c.metadata.namespace ?? 'kube-system') === 'kube-system',
    );
    const text = cm?.data?.Corefile;
    if (text === undefined) return [];
    const evidence: Evidence[] = [];
    let loop = false;
    let parsed: Corefile | undefined;
    try {
      parsed = parseCorefile(text);
    } catch (e) {
      evidence.push({
        source: SOURCE,
        observed: e instanceof Error ? e.message : String(e),
        expected: 'a Corefile CoreDNS can parse',
      });
    }
    if (parsed) {
      const nameservers = new Set<string>();
      for (const pod of index.corednsPods) {
        for (const ns of nodeNameservers(ctx).get(pod.spec.nodeName ?? '') ?? []) nameservers.add(ns);
      }
      for (const p of corefileProblems(parsed, [...nameservers])) {
        evidence.push({ source: SOURCE, observed: p.observed, expected: p.expected });
        if (p.loop) loop = true;
      }
    }
    const now = snapshotTime(snapshot);
    let failingPodSaidSo = false;
    for (const pod of index.corednsPods) {
      // Only a pod that is failing now says why in its log; a healthy one's old lines are history.
      const h = podHealth(pod, now);
      if (h.state === 'ok' || h.state === 'flapping') continue;
      for (const previous of [true, false]) {
        const line = podLogs(snapshot, pod, { previous })
          .join('\n')
          .split('\n')
          .findLast((l) => LOAD_ERROR_LOG.test(l));
        if (line) {
          evidence.push({
            source: logSource(pod, undefined, previous),
            observed: line.trim(),
            expected: 'CoreDNS loads its Corefile',
          });
          failingPodSaidSo = true;
          break;
        }
      }
    }
    for (const pod of index.corednsPods) {
      for (const previous of [true, false]) {
        const line = podLogs(snapshot, pod, { previous })
          .join('\n')
          .split('\n')
          .find((l) => LOOP_LOG.test(l));
        if (line) {
          evidence.push({ source: logSource(pod, undefined, previous), observed: line.trim() });
          loop = true;
          const h = podHealth(pod, now);
          if (h.state !== 'ok' && h.state !== 'flapping') failingPodSaidSo = true;
          break;
        }
      }
    }
    if (evidence.length === 0) return [];
    // The Corefile itself, or a CoreDNS pod failing now, backs it; a healthy pod's old log line
    // alone may tell of a Corefile fixed since.
    const backed = failingPodSaidSo || evidence.some((e) => e.source.startsWith('cluster/'));
    const fromLogs = evidence.some((e) => !e.source.startsWith('cluster/'));
    return [
      causeFinding(
        dnsConfigInvalid,
        {
          subject: { kind: 'ConfigMap', namespace: 'kube-system', name: 'coredns' },
          severity: 'critical',
          summary: loop
            ? 'The Corefile makes CoreDNS forward to itself: a forwarding loop'
            : `The Corefile is invalid: ${evidence[0]?.observed ?? ''}`,
          evidence,
          nextCommands: [
            'kubectl -n kube-system get configmap coredns -o yaml',
            'kubectl -n kube-system logs -l k8s-app=kube-dns --previous --tail=20',
          ],
        },
        {
          category: 'dns.config-invalid',
          confidence: fromLogs ? 0.95 : 0.85,
          remediation: [STEP.fixCorefile],
          ...(backed ? {} : { basis: 'logs' as const }),
        },
      ),
    ];
  },
};
