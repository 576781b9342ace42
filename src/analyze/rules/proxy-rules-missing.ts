import type { IptablesRule, NodeDatapath } from '../../core/datapath-types.ts';
import type { Evidence, Finding, Snapshot } from '../../core/model.ts';
import { parseIPv4 } from '../../core/net/ipv4.ts';
import { chainPolicy, chainRulesAnyOrder } from '../../datapath/iptables-chains.ts';
import { nodeProxyMode } from '../../datapath/node-proxy-mode.ts';
import { nftServiceNatView } from '../../datapath/service-nat-view-nft.ts';
import type { NodeResult, Rule, RuleContext } from '../rule.ts';
import { missingNodePart } from '../rule-needs.ts';
import {
  chainRules,
  iptablesDumps,
  listSome,
  makeFinding,
  nodeSource,
  nodeSubject,
  parseSpec,
  perAnalysis,
  reaches,
} from './support/datapath.ts';
import { configuredProxyMode, needsProxyRules } from './support/node-proxy.ts';
import { describeProbe, failedProbe, probeSource, probeView } from './support/probes.ts';
import { type ExpectedService, nftProxyGaps, type ProxyGaps } from './support/proxy-nft-checks.ts';

const expectedCache = new WeakMap<Snapshot, ExpectedService[]>();
/** ClusterIP Services (IPv4) with at least one ready endpoint: kube-proxy must dispatch each (a KUBE-SVC chain, a service-ips entry). */
function expectedServices(ctx: RuleContext): ExpectedService[] {
  let list = expectedCache.get(ctx.snapshot);
  if (list) return list;
  list = [];
  for (const [key, svc] of ctx.index.serviceByKey) {
    const ip = svc.spec.clusterIP;
    if (svc.spec.type === 'ExternalName' || !ip || ip === 'None' || parseIPv4(ip) === undefined) continue;
    if (!svc.spec.ports || svc.spec.ports.length === 0) continue;
    const ready = (ctx.index.slicesByService.get(key) ?? []).some((sl) =>
      (sl.endpoints ?? []).some((e) => e.addresses.length > 0 && e.conditions?.ready !== false),
    );
    if (ready) list.push({ key, clusterIP: ip });
  }
  expectedCache.set(ctx.snapshot, list);
  return list;
}

/** The ClusterIPs a KUBE-SERVICES chain dispatches, per chain: nodes sharing the chain share the work. */
const dispatchedByChain = new WeakMap<readonly IptablesRule[], ReadonlySet<string>>();

function dispatched(rules: readonly IptablesRule[]): ReadonlySet<string> {
  let present = dispatchedByChain.get(rules);
  if (present) return present;
  const ips = new Set<string>();
  for (const r of rules) {
    const target = r.target ?? parseSpec(r.spec).target;
    if (!target?.startsWith('KUBE-SVC-') && !target?.startsWith('KUBE-EXT-')) continue;
    const dst = r.destination ?? parseSpec(r.spec).destination;
    if (dst) ips.add(dst.endsWith('/32') ? dst.slice(0, -3) : dst);
  }
  present = ips;
  dispatchedByChain.set(rules, present);
  return present;
}

/** Expected Services no KUBE-SERVICES chain of the node dispatches, cached for a chain shared by many nodes. */
const missingByChain = new WeakMap<
  readonly IptablesRule[],
  { expected: ExpectedService[]; missing: ExpectedService[] }
>();

function missingServices(
  expected: ExpectedService[],
  chains: readonly (readonly IptablesRule[])[],
): ExpectedService[] {
  const only = chains.length === 1 ? chains[0]! : undefined;
  const hit = only && missingByChain.get(only);
  if (hit && hit.expected === expected) return hit.missing;
  const sets = chains.map(dispatched);
  const missing = expected.filter((s) => !sets.some((p) => p.has(s.clusterIP)));
  if (only) missingByChain.set(only, { expected, missing });
  return missing;
}

/** Nodes where a kube-proxy pod is Running. */
const runningProxyNodes = perAnalysis((ctx) => {
  const running = new Set<string>();
  for (const p of ctx.index.kubeProxyPods)
    if (p.status.phase === 'Running' && p.spec.nodeName) running.add(p.spec.nodeName);
  return running;
});

/**
 * A Running kube-proxy must have programmed its Service dispatch, reached from prerouting and
 * output, with an entry per ready Service: KUBE-SERVICES and KUBE-SVC chains in iptables mode,
 * the kube-proxy table's `services` chain and `service-ips` map in nftables mode. Each node is
 * judged in the mode its own rules show (datapath/node-proxy-mode.ts).
 */
export const proxyRulesMissing: Rule = {
  id: 'proxy-rules-missing',
  layer: 'proxy',
  // Node parts depend on the node's mode (both iptables dumps, or the nft ruleset), so runNode
  // checks them itself: an nftables node may have no iptables at all.
  needs: { cluster: ['pods', 'services', 'endpointSlices'] },
  title: 'Service rules programmed by kube-proxy',
  why: 'A kube-proxy pod can be Running while its iptables or nftables rules are missing or stale; then every ClusterIP (DNS at 10.96.0.10 included) is unreachable from that node.',
  appliesTo: needsProxyRules,
  runNode: (ctx: RuleContext, dp: NodeDatapath): NodeResult => {
    const name = dp.name;
    if (!dp.iptablesNft && !dp.iptablesLegacy && !dp.nftRuleset)
      return { skipped: 'neither iptables nor the nft ruleset was collected' };
    const expected = expectedServices(ctx);
    const probes = probeView(ctx);
    const svcProbes = probes.byScenario.get('service-clusterip') ?? [];
    const running = runningProxyNodes(ctx);
    const out: Finding[] = [];
    if (!running.has(name)) return out;
    const configured = configuredProxyMode(ctx, name);
    // The node's own rules decide its mode; the configuration only names what an empty node lacks.
    const mode = nodeProxyMode(dp, configured);
    const nodeMode = mode.status === 'detected' ? mode.mode : (configured ?? 'iptables');
    let gaps: ProxyGaps;
    let nextCommands = [
      'iptables-save -t nat | grep -c KUBE-SVC',
      `kubectl -n kube-system logs -l k8s-app=kube-proxy --tail=100`,
    ];
    if (nodeMode === 'nftables') {
      const miss = missingNodePart(ctx.snapshot, dp, ['nftRuleset']);
      if (miss || !dp.nftRuleset) return { skipped: miss?.reason ?? 'nft ruleset not collected' };
      gaps = nftProxyGaps(name, nftServiceNatView(dp.nftRuleset), expected);
      nextCommands = [
        'nft list chain ip kube-proxy services',
        'nft list map ip kube-proxy service-ips',
        `kubectl -n kube-system logs -l k8s-app=kube-proxy --tail=100`,
      ];
    } else {
      // Both backends: KUBE-SERVICES in the one not collected would pass for missing.
      const miss = missingNodePart(ctx.snapshot, dp, ['iptablesNft', 'iptablesLegacy']);
      if (miss) return { skipped: miss.reason };
      gaps = iptablesGaps(name, dp, expected);
    }
    const t = tally(ctx);
    t.judged++;
    for (const k of gaps.missing) t.missing.set(k, (t.missing.get(k) ?? 0) + 1);
    if (gaps.missing.length === 0 && t.complete === undefined)
      t.complete = nodeSource(name, nodeMode === 'nftables' ? 'nftRuleset' : 'iptablesNft');
    let { confidence } = gaps;
    const { summary, evidence } = gaps;
    if (confidence === 0) return out;
    const failed = svcProbes.filter((r) => r.from.node === name && failedProbe(r));
    if (failed.length > 0) {
      confidence = Math.min(0.95, confidence + 0.05);
      for (const r of failed.slice(0, 3))
        evidence.push({ source: probeSource(r), observed: describeProbe(r) });
    }
    const finding = { name, summary, evidence, confidence, nextCommands, missing: gaps.missing };
    // A few Services missing and nothing else wrong: whether the other nodes dispatch them says
    // if this node's kube-proxy fell behind alone (its own fault) or the cluster's view lags.
    if (gaps.structural === 0 && confidence < CONFIRMED) t.deferred.push(finding);
    else out.push(rulesMissingFinding(finding));
    return out;
  },
  finish: (ctx) => {
    const t = tally(ctx);
    return t.deferred.map((f) => {
      const dispatchedElsewhere = (k: string) => t.judged - (t.missing.get(k) ?? 0);
      const others = Math.min(...f.missing.map(dispatchedElsewhere));
      if (f.missing.length === 0 || others < 1 || t.complete === undefined) return rulesMissingFinding(f);
      return rulesMissingFinding({
        ...f,
        confidence: CONFIRMED,
        evidence: [
          ...f.evidence,
          {
            source: t.complete,
            observed: `${others} other node${others === 1 ? '' : 's'} of ${t.judged} judged dispatch${others === 1 ? 'es' : ''} ${listSome(f.missing, 4)}`,
            expected: `every node dispatches every ready Service; ${f.name} alone does not`,
          },
        ],
      });
    });
  },
};

/** A partial match made certain: other nodes' kube-proxy programmed what this one lacks. */
const CONFIRMED = 0.85;

interface NodeGapsFinding {
  name: string;
  summary: string;
  evidence: Evidence[];
  confidence: number;
  nextCommands: string[];
  missing: string[];
}

/** Per analysis: nodes judged, how many lack each Service, and findings held for `finish`. */
const tally = perAnalysis(() => ({
  judged: 0,
  missing: new Map<string, number>(),
  deferred: [] as NodeGapsFinding[],
  /** A node that dispatches every ready Service, cited as the evidence that it can be done. */
  complete: undefined as string | undefined,
}));

function rulesMissingFinding(f: NodeGapsFinding): Finding {
  return makeFinding(proxyRulesMissing, nodeSubject(f.name), {
    severity: 'error',
    summary: f.summary,
    evidence: f.evidence,
    cause: { category: 'proxy.rules-missing', confidence: f.confidence, remediation: ['restart-kube-proxy'] },
    nextCommands: f.nextCommands,
  });
}

/** iptables mode: KUBE-SERVICES present, hooked from PREROUTING and OUTPUT, with a jump per ready Service. */
function iptablesGaps(name: string, dp: NodeDatapath, expected: ExpectedService[]): ProxyGaps {
  const dumps = iptablesDumps(dp);
  const evidence: Evidence[] = [];
  let confidence = 0;
  let structural = 0;
  let summary = '';
  let missingKeys: string[] = [];
  if (dumps.length === 0) return { confidence, summary, evidence, missing: missingKeys, structural };
  const withServices = dumps.filter((d) => {
    const nat = d.dump.tables['nat'];
    return nat && (chainRules(nat).get('KUBE-SERVICES')?.length ?? 0) > 0;
  });
  if (withServices.length === 0) {
    confidence = 0.9;
    structural = 0.9;
    summary = `kube-proxy on ${name} is Running but the nat table has no KUBE-SERVICES rules`;
    for (const d of dumps) {
      const nat = d.dump.tables['nat'];
      evidence.push({
        source: nodeSource(name, d.key),
        observed: !nat
          ? `${d.label}: no nat table`
          : chainPolicy(nat, 'KUBE-SERVICES') === undefined
            ? `${d.label}: no KUBE-SERVICES chain in nat`
            : `${d.label}: KUBE-SERVICES is empty`,
        expected: 'nat KUBE-SERVICES with a KUBE-SVC-* jump per Service',
      });
    }
  } else {
    const reached = withServices.some((d) => {
      const nat = d.dump.tables['nat']!;
      return reaches(nat, 'PREROUTING', 'KUBE-SERVICES') && reaches(nat, 'OUTPUT', 'KUBE-SERVICES');
    });
    const missing = missingServices(
      expected,
      withServices.map((d) => chainRulesAnyOrder(d.dump.tables['nat']!, 'KUBE-SERVICES') ?? []),
    );
    if (!reached) {
      confidence = 0.85;
      structural = 0.85;
      summary = `kube-proxy on ${name} is Running but PREROUTING/OUTPUT do not jump to KUBE-SERVICES`;
      evidence.push({
        source: nodeSource(name, withServices[0]!.key),
        observed: 'KUBE-SERVICES is not reached from nat PREROUTING and OUTPUT',
        expected: '-A PREROUTING -j KUBE-SERVICES and -A OUTPUT -j KUBE-SERVICES',
      });
    }
    if (missing.length > 0) {
      missingKeys = missing.map((s) => s.key);
      confidence = Math.max(confidence, missing.length * 2 > expected.length ? 0.85 : 0.7);
      summary ||= `kube-proxy on ${name} has no rules for ${missing.length} of ${expected.length} Services with ready endpoints`;
      evidence.push({
        source: nodeSource(name, withServices[0]!.key),
        observed: `no KUBE-SERVICES entry for ${listSome(
          missing.map((s) => `${s.key} (${s.clusterIP})`),
          6,
        )}`,
        expected: 'a KUBE-SVC-* jump for every ClusterIP Service with ready endpoints',
      });
    }
  }
  return { confidence, summary, evidence, missing: missingKeys, structural };
}
