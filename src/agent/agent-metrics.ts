/**
 * The agent's Prometheus metrics, in a registry of its own (no global default registry, so two
 * agents in one process, as in tests, never share series). Names carry the `netdoctor_agent_`
 * prefix; labels are node names, probe kinds, rule ids and interface names: bounded sets.
 */
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { Finding } from '../core/model.ts';
import type { NodeFacts } from './node-check.ts';
import type { PeerProbeResult } from './peer-probe.ts';
import type { ServiceProbeResult } from './service-probe.ts';
import { SEND_OUTCOMES, type SendOutcome } from './summary-sender.ts';

export class AgentMetrics {
  readonly registry = new Registry();
  readonly #probeSeconds: Histogram<'peer' | 'kind'>;
  readonly #probes: Counter<'peer' | 'kind' | 'result'>;
  readonly #loss: Gauge<'peer' | 'kind'>;
  readonly #findings: Gauge<'rule' | 'severity'>;
  readonly #peerRoutes: Gauge;
  readonly #fdb: Gauge;
  readonly #mtu: Gauge<'iface'>;
  readonly #round: Gauge;
  readonly #checkSeconds: Gauge;
  readonly #checkOk: Gauge;
  readonly #sends: Counter<'outcome'>;
  readonly #serviceSeconds: Histogram<'service' | 'via' | 'kind'>;
  readonly #serviceProbes: Counter<'service' | 'via' | 'kind' | 'result'>;

  constructor(node: string) {
    const registers = [this.registry];
    this.registry.setDefaultLabels({ node });
    this.#probeSeconds = new Histogram({
      name: 'netdoctor_agent_probe_seconds',
      help: 'Round-trip of answered probes to a peer node, by probe kind',
      labelNames: ['peer', 'kind'],
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1],
      registers,
    });
    this.#probes = new Counter({
      name: 'netdoctor_agent_probes_total',
      help: 'Probes to a peer node by kind and result (ok, lost, error)',
      labelNames: ['peer', 'kind', 'result'],
      registers,
    });
    this.#loss = new Gauge({
      name: 'netdoctor_agent_probe_loss_ratio',
      help: 'Share of packets lost in the last probe to a peer node (0 to 1)',
      labelNames: ['peer', 'kind'],
      registers,
    });
    this.#findings = new Gauge({
      name: 'netdoctor_agent_findings',
      help: 'Findings about this node from the last check, by rule and severity',
      labelNames: ['rule', 'severity'],
      registers,
    });
    this.#peerRoutes = new Gauge({
      name: 'netdoctor_agent_peer_routes',
      help: 'Routes through the overlay device on this node',
      registers,
    });
    this.#fdb = new Gauge({
      name: 'netdoctor_agent_fdb_entries',
      help: 'Bridge FDB entries on this node',
      registers,
    });
    this.#mtu = new Gauge({
      name: 'netdoctor_agent_mtu_bytes',
      help: 'MTU of the overlay devices and the underlay device',
      labelNames: ['iface'],
      registers,
    });
    this.#round = new Gauge({
      name: 'netdoctor_agent_round',
      help: 'Rounds completed since start',
      registers,
    });
    this.#checkSeconds = new Gauge({
      name: 'netdoctor_agent_node_check_seconds',
      help: 'Duration of the last look at this node (collection and rules)',
      registers,
    });
    this.#checkOk = new Gauge({
      name: 'netdoctor_agent_node_check_complete',
      help: '1 when the last look at this node collected every part, 0 when something was not collected',
      registers,
    });
    this.#sends = new Counter({
      name: 'netdoctor_agent_reports_sent_total',
      help: 'Summaries sent to the controller, by outcome (accepted, refused, failed)',
      labelNames: ['outcome'],
      registers,
    });
    for (const outcome of SEND_OUTCOMES) this.#sends.inc({ outcome }, 0);
    // By Service and way in, not by endpoint address: CoreDNS and API server addresses change,
    // and a series per address would grow without bound. The summary names each address.
    this.#serviceSeconds = new Histogram({
      name: 'netdoctor_agent_service_probe_seconds',
      help: 'Answer time of cluster DNS (UDP, TCP) and API server (TLS handshake) probes, by ClusterIP or endpoint',
      labelNames: ['service', 'via', 'kind'],
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers,
    });
    this.#serviceProbes = new Counter({
      name: 'netdoctor_agent_service_probes_total',
      help: 'Probes of cluster DNS and the API server by Service, way in (cluster-ip, endpoint), kind and result',
      labelNames: ['service', 'via', 'kind', 'result'],
      registers,
    });
  }

  serviceProbe(r: ServiceProbeResult): void {
    const labels = { service: r.service, via: r.via, kind: r.kind };
    this.#serviceProbes.inc({ ...labels, result: r.status });
    if (r.status === 'ok') this.#serviceSeconds.observe(labels, r.rttMs / 1000);
  }

  summarySent(outcome: SendOutcome): void {
    this.#sends.inc({ outcome });
  }

  probe(r: PeerProbeResult): void {
    this.#probes.inc({ peer: r.peer, kind: r.kind, result: r.status });
    if (r.status === 'ok') this.#probeSeconds.observe({ peer: r.peer, kind: r.kind }, r.rttMs / 1000);
    if (r.status !== 'error')
      this.#loss.set({ peer: r.peer, kind: r.kind }, 1 - r.received / Math.max(1, r.sent));
  }

  nodeCheck(
    findings: readonly Finding[],
    facts: NodeFacts | undefined,
    complete: boolean,
    seconds: number,
  ): void {
    this.#findings.reset();
    const counts = new Map<string, { rule: string; severity: string; n: number }>();
    for (const f of findings) {
      const key = `${f.rule}\u0000${f.severity}`;
      const c = counts.get(key) ?? { rule: f.rule, severity: f.severity, n: 0 };
      c.n++;
      counts.set(key, c);
    }
    for (const c of counts.values()) this.#findings.set({ rule: c.rule, severity: c.severity }, c.n);
    this.#mtu.reset();
    if (facts) {
      this.#peerRoutes.set(facts.peerRoutes);
      this.#fdb.set(facts.fdbEntries);
      for (const [iface, mtu] of Object.entries(facts.mtu)) this.#mtu.set({ iface }, mtu);
    }
    this.#checkOk.set(complete ? 1 : 0);
    this.#checkSeconds.set(seconds);
  }

  roundDone(round: number): void {
    this.#round.set(round);
  }
}
