import type { RootCauseCategory, Subject, SymptomKind } from '../core/model.ts';

/**
 * How far a cause reaches:
 * - `node`: a cause on node N explains symptoms whose `nodes` include N, and lesser causes
 *   all of whose nodes are N;
 * - `cluster`: explains its dependents wherever they are;
 * - `subject`: explains only findings about the same object (a Service and its endpoints).
 */
export type CausalScope = 'node' | 'cluster' | 'subject';

/** One edge set of the causal graph: what a cause category explains, and where. */
export interface CausalEdge {
  cause: RootCauseCategory;
  scope: CausalScope;
  symptoms?: readonly SymptomKind[];
  /** Only symptoms reported by these rules. */
  symptomRules?: readonly string[];
  /** Never symptoms reported by these rules. */
  exceptRules?: readonly string[];
  /** Only symptoms about this object. */
  symptomSubject?: Subject;
  causes?: readonly RootCauseCategory[];
}

const DNS: readonly SymptomKind[] = ['dns-failed', 'dns-udp-failed', 'dns-tcp-failed'];
const CROSS_NODE: readonly SymptomKind[] = [
  'pod-to-pod-failed',
  'cross-node-failed',
  ...DNS,
  'service-failed',
  'nodeport-failed',
  'vxlan-no-traffic',
];
const ALL_TRAFFIC: readonly SymptomKind[] = [
  ...CROSS_NODE,
  'same-node-failed',
  'external-failed',
  'tls-failed',
  'large-packets-failed',
];
// A pod whose sandbox cannot get a network is a pod-health symptom of its node's CNI.
const POD_HEALTH: readonly SymptomKind[] = ['pod-crashlooping', 'pod-not-ready', 'pod-network-failed'];
const ENDPOINTS: readonly SymptomKind[] = ['endpoints-empty', 'endpoints-not-ready'];

const DNS_SERVICE: Subject = { kind: 'Service', namespace: 'kube-system', name: 'kube-dns' };
const COREDNS_POD_RULES = ['dns-coredns-pods'] as const;
const PROXY_POD_RULES = ['proxy-pod-restarts'] as const;
const EXTERNAL_DNS_RULES = ['dns-external-probe-failed'] as const;

/** Causes a broken CNI agent on a node takes down with it on that node. */
const CNI_NODE_DEPENDENTS: readonly RootCauseCategory[] = [
  'cni.routes-missing',
  'overlay.fdb-missing',
  'cni.config-missing',
  'dns.coredns-not-ready',
  'dns.service-no-endpoints',
  'dns.upstream-unreachable',
  'service.endpoints-not-ready',
];

function cniAgentEdges(cause: RootCauseCategory): CausalEdge[] {
  return [
    { cause, scope: 'node', symptoms: [...ALL_TRAFFIC, ...ENDPOINTS], causes: CNI_NODE_DEPENDENTS },
    { cause, scope: 'node', symptoms: POD_HEALTH, exceptRules: PROXY_POD_RULES },
  ];
}

/**
 * The causal graph, from node, CNI and overlay up to proxy, DNS and Services. Correlation reads
 * only this table; adding a rule's category means adding its row here.
 */
export const CAUSAL_GRAPH: readonly CausalEdge[] = [
  {
    cause: 'cni.daemonset-missing',
    scope: 'cluster',
    symptoms: [...ALL_TRAFFIC, ...POD_HEALTH, ...ENDPOINTS],
    causes: [
      'cni.agent-not-ready',
      'cni.agent-stalled',
      'cni.routes-missing',
      'cni.config-missing',
      'overlay.fdb-missing',
      'node.not-ready',
      'dns.coredns-not-ready',
      'dns.service-no-endpoints',
      'dns.upstream-unreachable',
      'service.endpoints-not-ready',
    ],
  },
  ...cniAgentEdges('cni.agent-not-ready'),
  ...cniAgentEdges('cni.agent-stalled'),
  {
    cause: 'node.not-ready',
    scope: 'node',
    symptoms: [...ALL_TRAFFIC, ...POD_HEALTH, ...ENDPOINTS],
    causes: [
      'cni.agent-not-ready',
      'cni.agent-stalled',
      'cni.routes-missing',
      'overlay.fdb-missing',
      'proxy.not-ready',
      'proxy.rules-missing',
      'dns.coredns-not-ready',
      'dns.service-no-endpoints',
      'service.endpoints-not-ready',
    ],
  },
  { cause: 'cni.routes-missing', scope: 'node', symptoms: CROSS_NODE, causes: ['overlay.fdb-missing'] },
  { cause: 'cni.config-missing', scope: 'node', symptoms: [...ALL_TRAFFIC, ...ENDPOINTS] },
  { cause: 'cni.config-missing', scope: 'node', symptoms: POD_HEALTH, exceptRules: PROXY_POD_RULES },
  {
    cause: 'cni.bridge-address-mismatch',
    scope: 'node',
    symptoms: [
      'same-node-failed',
      'pod-to-pod-failed',
      'cross-node-failed',
      ...DNS,
      'service-failed',
      'external-failed',
      'tls-failed',
      ...ENDPOINTS,
    ],
  },
  { cause: 'cni.bridge-address-mismatch', scope: 'node', symptoms: POD_HEALTH, exceptRules: PROXY_POD_RULES },
  { cause: 'overlay.fdb-missing', scope: 'node', symptoms: CROSS_NODE },
  { cause: 'overlay.port-blocked', scope: 'node', symptoms: CROSS_NODE, causes: ['overlay.fdb-missing'] },
  // A TLS handshake carries the certificate chain in full-size segments: the classic MTU victim.
  {
    cause: 'overlay.mtu-mismatch',
    scope: 'node',
    symptoms: ['large-packets-failed', 'dns-tcp-failed', 'tls-failed'],
  },
  { cause: 'node.ip-forward-disabled', scope: 'node', symptoms: ALL_TRAFFIC },
  {
    cause: 'node.bridge-nf-disabled',
    scope: 'node',
    symptoms: ['service-failed', 'nodeport-failed', 'same-node-failed', ...DNS],
  },
  {
    cause: 'node.masquerade-missing',
    scope: 'node',
    symptoms: ['external-failed', 'tls-failed'],
    causes: ['dns.upstream-unreachable'],
  },
  { cause: 'node.masquerade-missing', scope: 'node', symptoms: DNS, symptomRules: EXTERNAL_DNS_RULES },
  {
    cause: 'node.iptables-backend-mixed',
    scope: 'node',
    symptoms: ['service-failed', 'nodeport-failed', 'external-failed', 'tls-failed', ...DNS],
    // A DROP in the unused backend also stops the node's CoreDNS reaching its upstream.
    causes: ['proxy.rules-missing', 'proxy.not-ready', 'node.masquerade-missing', 'dns.upstream-unreachable'],
  },
  {
    cause: 'proxy.not-ready',
    scope: 'node',
    symptoms: ['service-failed', 'nodeport-failed', ...DNS],
    causes: ['proxy.rules-missing'],
  },
  { cause: 'proxy.not-ready', scope: 'node', symptoms: POD_HEALTH, symptomRules: PROXY_POD_RULES },
  { cause: 'proxy.rules-missing', scope: 'node', symptoms: ['service-failed', 'nodeport-failed', ...DNS] },
  // Leftover rules of the old mode DNAT to endpoints as they were at the switch.
  { cause: 'proxy.stale-ruleset', scope: 'node', symptoms: ['service-failed', 'nodeport-failed', ...DNS] },
  { cause: 'dns.coredns-not-ready', scope: 'cluster', symptoms: DNS, causes: ['dns.service-no-endpoints'] },
  { cause: 'dns.coredns-not-ready', scope: 'cluster', symptoms: POD_HEALTH, symptomRules: COREDNS_POD_RULES },
  { cause: 'dns.coredns-not-ready', scope: 'cluster', symptoms: ENDPOINTS, symptomSubject: DNS_SERVICE },
  { cause: 'dns.service-no-endpoints', scope: 'cluster', symptoms: DNS },
  { cause: 'dns.service-no-endpoints', scope: 'cluster', symptoms: ENDPOINTS, symptomSubject: DNS_SERVICE },
  { cause: 'dns.upstream-unreachable', scope: 'cluster', symptoms: DNS, symptomRules: EXTERNAL_DNS_RULES },
  // Seed 001: CoreDNS whose upstream does not answer fails its health checks and restarts, so
  // its pods' readiness (and the DNS Service's endpoints) follow from the upstream.
  {
    cause: 'dns.upstream-unreachable',
    scope: 'cluster',
    symptoms: POD_HEALTH,
    symptomRules: COREDNS_POD_RULES,
    causes: ['dns.coredns-not-ready', 'dns.service-no-endpoints'],
  },
  {
    cause: 'dns.config-invalid',
    scope: 'cluster',
    symptoms: DNS,
    causes: ['dns.coredns-not-ready', 'dns.upstream-unreachable', 'dns.service-no-endpoints'],
  },
  { cause: 'dns.config-invalid', scope: 'cluster', symptoms: POD_HEALTH, symptomRules: COREDNS_POD_RULES },
  { cause: 'dns.config-invalid', scope: 'cluster', symptoms: ENDPOINTS, symptomSubject: DNS_SERVICE },
  { cause: 'policy.dns-egress-blocked', scope: 'cluster', symptoms: DNS },
  { cause: 'service.no-endpoints', scope: 'subject', symptoms: [...ENDPOINTS, 'service-failed'] },
  { cause: 'service.endpoints-not-ready', scope: 'subject', symptoms: [...ENDPOINTS, 'service-failed'] },
  {
    cause: 'network.cidr-overlap',
    scope: 'cluster',
    symptoms: ['pod-to-pod-failed', 'cross-node-failed', 'service-failed', 'external-failed', 'tls-failed'],
  },
];
