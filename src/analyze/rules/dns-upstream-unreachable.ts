import type { Evidence } from '../../core/model.ts';
import { isClusterDnsName, unexpectedFailure } from '../dns.ts';
import { causeFinding } from '../finding.ts';
import { logSource, podLogs } from '../k8s.ts';
import { STEP } from '../remediation.ts';
import type { Rule } from '../rule.ts';

/** `[ERROR] plugin/errors: 2 example.org. A: read udp 10.244.1.2:45678->192.168.4.1:53: i/o timeout` */
const FORWARD_ERROR =
  /\[ERROR\] plugin\/errors: \d+ (\S+) (\S+): (?:read|dial|write) (?:udp|tcp) (?:\S+->)?(\d{1,3}(?:\.\d{1,3}){3}|\[[0-9a-fA-F:]+\]):(\d+): (.+)$/;

/** Below this many failed forwards, and with no failed external probe, errors are noise. */
const MIN_LOG_ERRORS = 3;

/**
 * Only forwards that failed this recently count: CoreDNS logs each failure once and never an
 * end to it, so older lines may belong to an outage that is already over.
 */
const RECENT_MS = 5 * 60_000;

/** CoreDNS cannot reach its upstream resolvers: names outside the cluster stop resolving. */
export const dnsUpstreamUnreachable: Rule = {
  id: 'dns-upstream-unreachable',
  layer: 'dns',
  // CoreDNS logs forward errors after any upstream blip, so logs alone would accuse a healthy
  // upstream; the DNS probes (an external name failing while cluster names resolve) decide.
  needs: { cluster: ['pods', 'namespaces', 'configMaps'], probes: true },
  title: 'CoreDNS reaches its upstream',
  why: 'CoreDNS forwards every non-cluster name upstream; when that resolver times out, external lookups fail and readiness can follow.',
  appliesTo: ({ index }) =>
    index.corednsPods.length > 0 ? { applies: true } : { applies: false, reason: 'no CoreDNS pods' },
  run: ({ snapshot, index }) => {
    const byUpstream = new Map<
      string,
      { count: number; sample: string; source: string; nodes: Set<string> }
    >();
    for (const pod of index.corednsPods) {
      for (const previous of [false, true]) {
        const text = podLogs(snapshot, pod, { previous, withinMs: RECENT_MS }).join('\n');
        if (!text.includes('plugin/errors')) continue;
        for (const line of text.split('\n')) {
          const m = FORWARD_ERROR.exec(line);
          if (!m) continue;
          const upstream = `${m[3]}:${m[4]}`;
          const e = byUpstream.get(upstream) ?? {
            count: 0,
            sample: line.trim(),
            source: logSource(pod, undefined, previous),
            nodes: new Set<string>(),
          };
          e.count++;
          e.sample = line.trim();
          if (pod.spec.nodeName) e.nodes.add(pod.spec.nodeName);
          byUpstream.set(upstream, e);
        }
      }
    }
    const namespaces = new Set(snapshot.cluster.namespaces.map((n) => n.metadata.name));
    const dnsProbes = (snapshot.probes?.results ?? []).filter(
      (p) => p.scenario === 'dns-udp' || p.scenario === 'dns-tcp',
    );
    const external = dnsProbes.filter((p) => !isClusterDnsName(p.to.name, namespaces));
    const cluster = dnsProbes.filter((p) => isClusterDnsName(p.to.name, namespaces));
    const extFailed = external.filter(unexpectedFailure);
    const extPassed = external.filter((p) => p.outcome.status === 'pass');
    const clusterOk = cluster.length > 0 && cluster.every((p) => !unexpectedFailure(p));
    const logErrors = [...byUpstream.values()].reduce((n, e) => n + e.count, 0);
    if (extPassed.length > 0 && extFailed.length === 0) return [];
    const fromLogs = logErrors >= MIN_LOG_ERRORS || (logErrors > 0 && extFailed.length > 0);
    const fromProbes = extFailed.length > 0 && extPassed.length === 0 && clusterOk;
    if (!fromLogs && !fromProbes) return [];

    const evidence: Evidence[] = [];
    for (const [upstream, e] of [...byUpstream].sort((a, b) => b[1].count - a[1].count)) {
      evidence.push({
        source: e.source,
        observed: `${e.count} failed forwards to ${upstream}, e.g. ${e.sample}`,
        expected: 'answers from the upstream resolver',
      });
    }
    if (extFailed.length > 0) {
      evidence.push({
        source: 'probes/results.json',
        observed: `${extFailed.length} of ${external.length} external-name DNS probes failed${clusterOk ? ' while every cluster-name probe passed' : ''}`,
        expected: 'external names resolve',
      });
    }
    const upstreams = [...byUpstream.keys()];
    const nodes = [...new Set([...byUpstream.values()].flatMap((e) => [...e.nodes]))].sort();
    const confidence = fromLogs && fromProbes ? 0.95 : fromLogs ? (extFailed.length > 0 ? 0.9 : 0.75) : 0.6;
    return [
      causeFinding(
        dnsUpstreamUnreachable,
        {
          subject: { kind: 'ConfigMap', namespace: 'kube-system', name: 'coredns' },
          severity: 'error',
          summary:
            upstreams.length > 0
              ? `CoreDNS cannot reach its upstream ${upstreams.join(', ')}: external names do not resolve`
              : 'External names do not resolve while cluster names do: CoreDNS’s upstream is unreachable',
          evidence,
          nextCommands: [
            'kubectl -n kube-system get configmap coredns -o yaml',
            'kubectl -n kube-system logs -l k8s-app=kube-dns --tail=50',
            'kubectl run -it --rm dnstest --image=busybox --restart=Never -- nslookup example.org',
          ],
        },
        {
          category: 'dns.upstream-unreachable',
          confidence,
          remediation: [STEP.fixCorednsUpstream],
          nodes,
          // External names that resolve from some nodes do not back an unreachable upstream:
          // the log lines alone may be left over from an earlier outage.
          basis: fromProbes ? 'probes' : 'logs',
        },
      ),
    ];
  },
};
