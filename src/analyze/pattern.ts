import type { Finding, PatternScore, RootCauseCategory, SymptomKind } from '../core/model.ts';

/**
 * The six signals of seed 001's cascading-failure pattern (CNI down, then DNS and kube-proxy
 * fail, then total isolation). Each is read from findings, so the score agrees with the report.
 */
export const PATTERN_SIGNALS = [
  {
    id: 'coredns-crashloop',
    label: 'CoreDNS CrashLoopBackOff',
    symptoms: ['pod-crashlooping'],
    symptomRules: ['dns-coredns-pods'],
    causes: [],
  },
  {
    id: 'kube-proxy-restarts',
    label: 'kube-proxy restart issues',
    symptoms: ['pod-crashlooping', 'pod-not-ready'],
    symptomRules: ['proxy-pod-restarts'],
    causes: ['proxy.not-ready'],
  },
  {
    id: 'cni-daemonset-missing',
    label: 'missing CNI (Flannel) DaemonSet',
    symptoms: [],
    causes: ['cni.daemonset-missing'],
  },
  {
    id: 'dns-timeouts',
    label: 'DNS resolution timeouts',
    symptoms: ['dns-failed', 'dns-udp-failed', 'dns-tcp-failed'],
    causes: [],
  },
  {
    id: 'service-endpoint-failures',
    label: 'service endpoint failures',
    symptoms: ['endpoints-empty', 'endpoints-not-ready', 'service-failed'],
    causes: ['service.no-endpoints', 'service.endpoints-not-ready', 'dns.service-no-endpoints'],
  },
  {
    id: 'pod-connectivity-failure',
    label: 'pod connectivity failure',
    symptoms: ['pod-to-pod-failed', 'cross-node-failed', 'same-node-failed'],
    causes: [],
  },
] as const satisfies readonly {
  id: string;
  label: string;
  symptoms: readonly SymptomKind[];
  symptomRules?: readonly string[];
  causes: readonly RootCauseCategory[];
}[];

export type PatternSignalId = (typeof PATTERN_SIGNALS)[number]['id'];

/** Confirmed at 4 or more signals, partial at 2 or 3, none below (seed 001). */
export function patternMatch(score: number): PatternScore['match'] {
  if (score >= 4) return 'confirmed';
  if (score >= 2) return 'partial';
  return 'none';
}

/** Scores the findings against the six signals; only findings above `info` count. */
export function patternScore(findings: readonly Finding[]): PatternScore {
  const fired: string[] = [];
  for (const sig of PATTERN_SIGNALS) {
    const rules: readonly string[] | undefined = 'symptomRules' in sig ? sig.symptomRules : undefined;
    const hit = findings.some((f) => {
      if (f.severity === 'info') return false;
      if (f.cause && (sig.causes as readonly string[]).includes(f.cause.category)) return true;
      if (!f.symptom || !(sig.symptoms as readonly string[]).includes(f.symptom.kind)) return false;
      return !rules || rules.includes(f.rule);
    });
    if (hit) fired.push(sig.id);
  }
  return { score: fired.length, signals: fired, match: patternMatch(fired.length) };
}
