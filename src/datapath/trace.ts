/**
 * The path tracer: walks one packet through a snapshot (source pod, veth and bridge, kube-proxy's
 * Service DNAT, node routes, VXLAN neighbour and FDB entries, the underlay, the peer node,
 * iptables filter) and stops at the first hop that breaks, naming the route, rule or entry at
 * fault. Pure: it reads the snapshot only, so it runs the same on a live collection and on a
 * bundle from last night.
 */

import { CNI_BRIDGE } from '../cni/flannel-names.ts';
import { VXLAN_OVERHEAD } from '../cni/vxlan.ts';
import { CLUSTER_FILES, nodeFile } from '../collect/bundle/layout.ts';
import type { K8sPod, ServicePort } from '../core/cluster-types.ts';
import type { Link, NodeDatapath, Route } from '../core/datapath-types.ts';
import type { Evidence, Snapshot } from '../core/model.ts';
import { cidrContains } from '../core/net/cidr.ts';
import { activeIptables } from './active-iptables.ts';
import { formatFdb, formatNeighbor, formatRoute } from './format.ts';
import { evaluateChain, type PacketView } from './iptables-eval.ts';
import { firstHookDrop } from './netfilter-hooks.ts';
import { nftNativeDrop } from './nft-eval.ts';
import { formatIpRule, type RoutingKey, routeFor } from './policy-routing.ts';
import { DISCARD_ROUTE_TYPES, lookupRoute } from './route-lookup.ts';
import { resolveServiceNat } from './service-nat.ts';
import {
  buildClusterView,
  type ClusterView,
  type NodeFacts,
  nodeOwningPodIp,
  nodeWithUnderlayIp,
  type ResolvedEndpoint,
  resolveEndpoint,
} from './trace-cluster.ts';
import type { TraceEndpointInfo, TraceHop, TraceProtocol, TraceQuery, TraceResult } from './trace-types.ts';

/** A hook that drops a packet, as a hop reports it. */
interface HookBlock {
  /** `raw PREROUTING (iptables-nft)`, `nft inet hostfw forward`. */
  where: string;
  table: string;
  chain: string;
  backend: 'iptables-nft' | 'iptables-legacy' | 'nftables';
  /** The drop sits in the iptables backend kube-proxy does not program. */
  inactive: boolean;
  verdict: 'drop' | 'reject';
  what: string;
  /** `-A CHAIN spec`, or the nft rule text; absent for a chain policy. */
  rule?: string;
  evidence: Evidence;
}

/** Each snapshot's cluster view; snapshots are never changed once built. */
const views = new WeakMap<Snapshot, ClusterView>();

/**
 * Traces `query` through `snapshot`. A Service with several endpoints is walked once per
 * endpoint (kube-proxy picks one at random per connection) and the first broken walk is
 * returned, so "DNS fails from worker-2 half the time" shows the half that fails.
 * Throws a usage NetdoctorError for names not in the snapshot.
 */
export function traceFlow(snapshot: Snapshot, query: TraceQuery): TraceResult {
  // Analysis traces hundreds of probes over one snapshot: index its pods and Services once.
  let view = views.get(snapshot);
  if (!view) {
    view = buildClusterView(snapshot);
    views.set(snapshot, view);
  }
  const from = resolveEndpoint(view, query.from, false);
  const to = resolveEndpoint(view, query.to, true);
  const walk = (endpointIndex: number): TraceResult => {
    const t = new Tracer(snapshot, view, query, endpointIndex);
    t.run(from, to);
    return t.result(from, to);
  };
  const first = walk(0);
  const dnat = first.hops.find((h) => h.kind === 'service-dnat');
  if (dnat?.kind !== 'service-dnat' || dnat.status !== 'ok' || dnat.endpoints.length < 2) return first;
  const all = dnat.endpoints.map((_, i) => (i === 0 ? first : walk(i)));
  const chosen = all.find((r) => r.status === 'broken') ?? all.find((r) => r.status === 'unknown') ?? first;
  chosen.endpoints = all.map((r, i) => ({
    endpoint: dnat.endpoints[i]!,
    status: r.status,
    ...(r.reason === undefined ? {} : { reason: r.reason }),
  }));
  return chosen;
}

/** Mutable walk state; lives for one traceFlow call. */
class Tracer {
  readonly hops: TraceHop[] = [];
  readonly snapshot: Snapshot;
  readonly view: ClusterView;
  readonly query: TraceQuery;
  protocol: TraceProtocol;
  port: number | undefined;
  dst = '';
  /** The packet's source address (the pod's, or the node's for host-network pods). */
  src = '';
  dnat = false;
  resolvedTo: { ip: string; node?: string; pod?: string } | undefined;
  /** Which of a Service's endpoints this walk follows. */
  readonly endpointIndex: number;

  constructor(snapshot: Snapshot, view: ClusterView, query: TraceQuery, endpointIndex: number) {
    this.snapshot = snapshot;
    this.view = view;
    this.query = query;
    this.endpointIndex = endpointIndex;
    this.protocol = query.protocol ?? 'tcp';
    this.port = query.port;
  }

  /** Records a hop; false when the walk must stop there. */
  add(hop: TraceHop): boolean {
    this.hops.push(hop);
    return hop.status !== 'broken';
  }

  run(from: ResolvedEndpoint, to: ResolvedEndpoint): void {
    // 1. Where the packet starts.
    this.src = from.ip;
    const srcName = from.node;
    if (!this.sourceHop(from)) return;
    if (!srcName) return;
    const src = this.view.nodes.get(srcName) ?? { name: srcName };
    const dp = this.snapshot.nodes[srcName];
    if (!dp) {
      this.add(unknownHop(srcName, `no datapath was collected from ${srcName}; see the bundle's gaps`));
      return;
    }

    // 2. Out of the pod: veth into the node's bridge.
    let bridge: Link | undefined;
    if (!from.hostNetwork) {
      const b = this.bridgeHop(src, dp);
      if (b === false) return;
      bridge = b;
    }

    // 3. Service: kube-proxy's DNAT picks an endpoint.
    this.dst = to.ip;
    let dstNode: NodeFacts | undefined = to.node
      ? (this.view.nodes.get(to.node) ?? { name: to.node })
      : undefined;
    let dstPod = to.pod;
    let dstHostNetwork = to.hostNetwork;
    if (to.service) {
      const ep = this.serviceHop(src, dp, to);
      if (!ep) return;
      this.dst = ep.ip;
      this.port = ep.port ?? this.port;
      this.dnat = true;
      dstPod = this.view.podByIp.get(ep.ip);
      const owner = dstPod?.spec.nodeName ?? nodeOwningPodIp(this.view, ep.ip)?.name;
      dstNode = owner ? (this.view.nodes.get(owner) ?? { name: owner }) : undefined;
      dstHostNetwork = !dstPod && nodeWithUnderlayIp(this.view, ep.ip) !== undefined;
    }
    this.resolvedTo = {
      ip: this.dst,
      ...(dstNode ? { node: dstNode.name } : {}),
      ...(dstPod ? { pod: podKeyOf(dstPod) } : {}),
    };

    // 4a. Same node, same bridge, no Service: switched by cni0, never routed.
    if (
      !from.hostNetwork &&
      !to.service &&
      dstNode?.name === src.name &&
      bridge?.addrs.some((a) => a.family === 'inet' && cidrContains(`${a.local}/${a.prefixlen}`, this.dst))
    ) {
      if (dp.sysctls?.['net.bridge.bridge-nf-call-iptables'] === '1') {
        // br_netfilter hands bridged frames to iptables FORWARD as well.
        if (!this.filterHop(src.name, dp, 'FORWARD', from.ip, bridge.ifname, bridge.ifname)) return;
      }
      this.deliveredHop(src.name, dstPod, dstHostNetwork);
      return;
    }

    if (dstHostNetwork && dstNode?.name === src.name) {
      if (!from.hostNetwork && !this.inputHop(src.name, dp, from.ip, bridge?.ifname)) return;
      this.deliveredHop(src.name, dstPod, true);
      return;
    }

    // 4b. Routed on the source node.
    const route = this.routeHop(src, dp, dstNode, bridge, from.hostNetwork ? undefined : bridge?.ifname);
    if (!route) return;
    const inIface = from.hostNetwork ? undefined : bridge?.ifname;
    if (!this.filterHop(src.name, dp, from.hostNetwork ? 'OUTPUT' : 'FORWARD', from.ip, inIface, route.dev))
      return;

    if (!dstNode) {
      // Not a pod or node address: the path leaves the cluster here, and a pod's address must
      // be masqueraded on the way out, or the answer has no way back.
      if (!from.hostNetwork && !this.reply() && !this.egressNatHop(src.name, dp, from.ip, route.dev)) return;
      this.add({
        kind: 'delivered',
        status: 'ok',
        node: src.name,
        ip: this.dst,
        ...(this.port !== undefined ? { port: this.port } : {}),
        summary: `leaves ${src.name} via ${route.dev ?? route.gateway ?? route.dst} towards ${this.dst}; the rest of the path is outside the cluster`,
        evidence: [],
      });
      return;
    }
    if (dstNode.name === src.name) {
      this.deliveredHop(src.name, dstPod, dstHostNetwork);
      return;
    }

    // 5. Across nodes: overlay (VXLAN) or direct routing (host-gw).
    const overlay = dp.links?.find((l) => l.ifname === route.dev && l.kind === 'vxlan');
    let remote: string | undefined;
    if (overlay) {
      const r = this.vxlanHops(src, dp, overlay, route, dstNode);
      if (!r) return;
      remote = r;
    } else {
      remote = route.gateway ?? this.dst;
    }
    const under = this.underlayHop(src, dp, remote, overlay);
    if (!under) return;
    const peer = this.peerHop(remote, dstNode, overlay);
    if (!peer) return;
    const peerDp = this.snapshot.nodes[peer.name];
    if (!peerDp) return;
    if (dstHostNetwork) {
      if (!this.inputHop(peer.name, peerDp, from.ip, overlay?.ifname)) return;
      this.deliveredHop(peer.name, dstPod, true);
      return;
    }
    const peerBridge = peerDp.links?.find((l) => l.ifname === CNI_BRIDGE) ?? findPodBridge(peerDp, peer);
    const peerRoute = this.routeHop(peer, peerDp, peer, peerBridge, overlay?.ifname);
    if (!peerRoute) return;
    if (!this.filterHop(peer.name, peerDp, 'FORWARD', from.ip, overlay?.ifname, peerRoute.dev)) return;
    this.deliveredHop(peer.name, dstPod, false);
  }

  sourceHop(from: ResolvedEndpoint): boolean {
    const ev: Evidence[] = [];
    if (from.pod) {
      ev.push({
        source: `${CLUSTER_FILES.pods}#${from.podKey}`,
        observed: `podIP=${from.pod.status.podIP ?? '(none)'} nodeName=${from.pod.spec.nodeName ?? '(none)'} phase=${from.pod.status.phase ?? '?'}`,
      });
      if (!from.ip || !from.node) {
        return this.add({
          kind: 'source-pod',
          status: 'broken',
          pod: from.podKey!,
          ip: from.ip,
          hostNetwork: from.hostNetwork,
          summary: `${from.podKey} has no ${from.ip ? 'node' : 'IP address'}`,
          reason: `${from.podKey} is not running anywhere (phase ${from.pod.status.phase ?? 'unknown'}): it has no ${from.ip ? 'node' : 'IP address'}`,
          evidence: ev,
        });
      }
    }
    if (!from.node) {
      this.add({
        kind: 'source-pod',
        status: 'unknown',
        ip: from.ip,
        hostNetwork: false,
        summary: `${from.ip} is not a pod, a node or inside any node's pod subnet`,
        reason: `${from.ip} belongs to no node of the snapshot, so the path cannot be followed`,
        evidence: ev,
      });
      return false;
    }
    return this.add({
      kind: 'source-pod',
      status: 'ok',
      node: from.node,
      ...(from.podKey ? { pod: from.podKey } : {}),
      ip: from.ip,
      hostNetwork: from.hostNetwork,
      summary: `${from.podKey ?? from.ip}${from.podKey ? ` (${from.ip})` : ''} on ${from.node}${from.hostNetwork ? ', host network' : ''}`,
      evidence: ev,
    });
  }

  /** The pod's veth on the node's bridge: the bridge, undefined when unknown, false to stop. */
  bridgeHop(node: NodeFacts, dp: NodeDatapath): Link | undefined | false {
    const source = nodeFile(node.name, 'links');
    if (!dp.links) {
      this.add(unknownHop(node.name, `links were not collected from ${node.name}`));
      return undefined;
    }
    const bridge = dp.links.find((l) => l.ifname === CNI_BRIDGE) ?? findPodBridge(dp, node);
    if (!bridge) {
      this.add({
        kind: 'veth-bridge',
        status: 'broken',
        node: node.name,
        summary: `${node.name} has no pod bridge`,
        reason: `${node.name} has no cni0 bridge: pods there have nowhere to send packets`,
        evidence: [{ source, observed: 'no cni0 in ip link', expected: 'cni0 (bridge)' }],
      });
      return false;
    }
    const inet = bridge.addrs.filter((a) => a.family === 'inet');
    const shown = inet.map((a) => `${a.local}/${a.prefixlen}`).join(', ') || 'no IPv4 address';
    const ports = dp.links.filter((l) => l.master === bridge.ifname).length;
    const ev: Evidence = {
      source,
      observed: `${bridge.ifname}: ${shown}, ${bridge.operstate}, mtu ${bridge.mtu}, ${ports} ports`,
    };
    if (node.podCidr && !inet.some((a) => cidrContains(node.podCidr!, a.local))) {
      this.add({
        kind: 'veth-bridge',
        status: 'broken',
        node: node.name,
        bridge: bridge.ifname,
        summary: `${bridge.ifname} on ${node.name} carries ${shown}`,
        reason: `${bridge.ifname} on ${node.name} carries ${shown}, outside the node's pod subnet ${node.podCidr}`,
        evidence: [{ ...ev, expected: `an address in ${node.podCidr}` }],
      });
      return false;
    }
    if (!bridge.flags.includes('UP')) {
      this.add({
        kind: 'veth-bridge',
        status: 'broken',
        node: node.name,
        bridge: bridge.ifname,
        summary: `${bridge.ifname} on ${node.name} is down`,
        reason: `${bridge.ifname} on ${node.name} is administratively down`,
        evidence: [{ ...ev, expected: 'UP' }],
      });
      return false;
    }
    this.add({
      kind: 'veth-bridge',
      status: 'ok',
      node: node.name,
      bridge: bridge.ifname,
      summary: `veth -> ${bridge.ifname} (${shown}) on ${node.name}`,
      evidence: [ev],
    });
    return bridge;
  }

  /** kube-proxy's DNAT on the source node; returns the chosen endpoint or undefined to stop. */
  serviceHop(
    node: NodeFacts,
    dp: NodeDatapath,
    to: ResolvedEndpoint,
  ): { ip: string; port?: number } | undefined {
    const svc = to.service!;
    const key = to.serviceKey!;
    const ports = svc.spec.ports ?? [];
    const wantProto = this.query.protocol;
    const sp: ServicePort | undefined = ports.find(
      (p) =>
        (this.query.port === undefined || p.port === this.query.port) &&
        (wantProto === undefined || (p.protocol ?? 'TCP').toLowerCase() === wantProto),
    );
    const base = {
      kind: 'service-dnat' as const,
      node: node.name,
      service: key,
      clusterIP: to.ip,
      endpoints: [] as string[],
    };
    if (!sp) {
      const want = `${this.query.port ?? ''}${wantProto ? `/${wantProto}` : ''}`;
      this.add({
        ...base,
        status: 'broken',
        port: this.query.port ?? 0,
        protocol: wantProto ?? 'tcp',
        summary: `${key} has no port ${want}`,
        reason: `Service ${key} exposes ${ports.map((p) => `${p.port}/${(p.protocol ?? 'TCP').toLowerCase()}`).join(', ') || 'no ports'}, not ${want}`,
        evidence: [{ source: `${CLUSTER_FILES.services}#${key}`, observed: JSON.stringify(ports) }],
      });
      return undefined;
    }
    const proto = (sp.protocol ?? 'TCP').toLowerCase() as TraceProtocol;
    this.protocol = proto;
    this.port = sp.port;
    const hop = { ...base, port: sp.port, protocol: proto };
    const tuple = `${to.ip}:${sp.port}/${proto}`;
    const active = activeIptables(dp);
    if (!active) {
      this.add({
        ...hop,
        status: 'unknown',
        summary: `no iptables rules were collected from ${node.name}`,
        reason: `no iptables dump was collected from ${node.name}, so the Service translation cannot be followed`,
        evidence: [],
      });
      return undefined;
    }
    const source = nodeFile(node.name, active.key);
    const nat = resolveServiceNat(active.dump, to.ip, sp.port, proto);
    const sliceEvidence = this.endpointSliceEvidence(key);
    switch (nat.status) {
      case 'no-chain':
        this.add({
          ...hop,
          status: 'broken',
          problem: 'no-chain',
          summary: `${node.name} has no KUBE-SERVICES chain`,
          reason: `${node.name} has no KUBE-SERVICES chain in its nat table: kube-proxy has not programmed this node`,
          evidence: [
            {
              source,
              observed: 'no :KUBE-SERVICES in *nat',
              expected: `KUBE-SERVICES with a rule for ${tuple}`,
            },
          ],
        });
        return undefined;
      case 'no-rule':
        this.add({
          ...hop,
          status: 'broken',
          // kube-proxy writes no nat rule for a Service without ready endpoints (it rejects in
          // filter instead): then the missing rule is the endpoints' doing, not kube-proxy's.
          problem: this.readyEndpoints(key) === 0 ? 'no-endpoints' : 'no-rule',
          summary: `no nat rule for ${tuple} on ${node.name}`,
          reason: `${node.name} has no KUBE-SERVICES rule for ${key} (${tuple}): kube-proxy's Service rules are missing or stale`,
          evidence: [
            {
              source,
              observed: `no -A KUBE-SERVICES -d ${to.ip}/32 ... --dport ${sp.port}`,
              expected: `a jump to KUBE-SVC-* for ${tuple}`,
            },
            ...sliceEvidence,
          ],
        });
        return undefined;
      case 'no-endpoints': {
        const what = nat.svcChain
          ? `${nat.svcChain} (${key}:${sp.name ?? sp.port})`
          : `${key}:${sp.name ?? sp.port}`;
        this.add({
          ...hop,
          status: 'broken',
          problem: 'no-endpoints',
          ...(nat.svcChain ? { chain: nat.svcChain } : {}),
          summary: `${what} has no endpoints`,
          reason: nat.svcChain
            ? `${what} has no endpoints: nothing to DNAT ${tuple} to`
            : `${what} has no endpoints: kube-proxy ${nat.rule.target === 'DROP' ? 'drops' : 'rejects'} ${tuple}`,
          evidence: [{ source, observed: `-A ${nat.rule.chain} ${nat.rule.spec}` }, ...sliceEvidence],
        });
        return undefined;
      }
      case 'ok': {
        const index = Math.min(this.endpointIndex, nat.endpoints.length - 1);
        const chosen = nat.endpoints[index]!;
        const all = nat.endpoints.map((e) => `${e.ip}${e.port !== undefined ? `:${e.port}` : ''}`);
        const endpoint = all[index]!;
        this.add({
          ...hop,
          status: 'ok',
          chain: nat.svcChain,
          endpoints: all,
          endpoint,
          summary: `${tuple} -> ${nat.svcChain} -> ${chosen.sepChain}: DNAT to ${endpoint}${all.length > 1 ? ` (following ${index + 1} of ${all.length} endpoints)` : ''}`,
          evidence: [
            { source, observed: `-A ${nat.serviceRule.chain} ${nat.serviceRule.spec}` },
            { source, observed: `-A ${chosen.dnatRule.chain} ${chosen.dnatRule.spec}` },
          ],
        });
        return chosen.port === undefined ? { ip: chosen.ip } : { ip: chosen.ip, port: chosen.port };
      }
    }
  }

  /** Ready endpoints of a Service in its EndpointSlices; undefined when it has no slice. */
  readyEndpoints(serviceKey: string): number | undefined {
    const [ns, name] = serviceKey.split('/');
    const slices = this.snapshot.cluster.endpointSlices.filter(
      (s) =>
        (s.metadata.namespace ?? 'default') === ns &&
        s.metadata.labels?.['kubernetes.io/service-name'] === name,
    );
    if (slices.length === 0) return undefined;
    return slices.flatMap((s) => s.endpoints ?? []).filter((e) => e.conditions?.ready !== false).length;
  }

  endpointSliceEvidence(serviceKey: string): Evidence[] {
    const [ns, name] = serviceKey.split('/');
    const slices = this.snapshot.cluster.endpointSlices.filter(
      (s) =>
        (s.metadata.namespace ?? 'default') === ns &&
        s.metadata.labels?.['kubernetes.io/service-name'] === name,
    );
    const ready = slices.flatMap((s) => s.endpoints ?? []).filter((e) => e.conditions?.ready !== false);
    return [
      {
        source: `${CLUSTER_FILES.endpointSlices}#${serviceKey}`,
        observed: `${slices.length} EndpointSlice(s), ${ready.length} ready endpoint(s)`,
      },
    ];
  }

  /** The routing decision on `node`; returns the route, or undefined to stop. */
  routeHop(
    node: NodeFacts,
    dp: NodeDatapath,
    dstNode: NodeFacts | undefined,
    bridge: Link | undefined,
    iif?: string,
  ): Route | undefined {
    const source = nodeFile(node.name, 'routes');
    const dst = this.dst;
    const base = { kind: 'node-route' as const, node: node.name, dst };
    if (!dp.routes) {
      this.add({
        ...base,
        status: 'unknown',
        summary: `routes were not collected from ${node.name}`,
        reason: `routes were not collected from ${node.name}`,
        evidence: [],
      });
      return undefined;
    }
    const key: RoutingKey = {
      src: this.src,
      dst,
      ...(iif ? { iif } : {}),
      proto: this.protocol,
      ...(this.port !== undefined && !this.query.reply ? { dport: this.port } : {}),
    };
    if (iif && !this.forwardingHop(node, dp)) return undefined;
    if (iif && !this.rpFilterHop(node, dp, iif)) return undefined;
    const decision = routeFor(dp.routes, dp.ipRules, key);
    const rulesSource = nodeFile(node.name, 'ipRules');
    if (decision.kind === 'discard') {
      const rule = formatIpRule(decision.rule);
      this.add({
        ...base,
        policyRule: rule,
        status: 'broken',
        summary: `${node.name} discards packets to ${dst} by policy routing`,
        reason: `${node.name} discards ${this.describePacket(this.src)} by ip rule ${rule}`,
        evidence: [{ source: rulesSource, observed: rule, expected: 'no rule discarding pod traffic' }],
      });
      return undefined;
    }
    const route = decision.kind === 'route' ? decision.route : undefined;
    const ruleUsed = decision.kind === 'route' && decision.rule ? formatIpRule(decision.rule) : undefined;
    if (route && ruleUsed) {
      // A table other than main's default: the rule is part of the proof, whatever follows.
      const ruleEv = { source: rulesSource, observed: `${ruleUsed} -> ${formatRoute(route)}` };
      const added = this.routeChecks(node, dp, dstNode, bridge, route, dst, source);
      const last = this.hops.at(-1);
      if (last?.kind === 'node-route') {
        last.policyRule = ruleUsed;
        last.evidence.push(ruleEv);
        last.summary = `${last.summary} (table ${decision.kind === 'route' ? decision.table : '?'} by ip rule ${ruleUsed.split(':')[0]})`;
      }
      return added;
    }
    return this.routeChecks(node, dp, dstNode, bridge, route, dst, source);
  }

  reply(): boolean {
    return this.query.reply === true;
  }

  /**
   * nat POSTROUTING for a pod's packet leaving the cluster: a MASQUERADE or SNAT rule must take
   * it. Unknown (no nat table collected) passes; false to stop.
   */
  egressNatHop(node: string, dp: NodeDatapath, srcIp: string, outIface: string | undefined): boolean {
    const active = activeIptables(dp);
    const nat = active?.dump.tables['nat'];
    if (!active || !nat || nat.chains['POSTROUTING'] === undefined) return true;
    const pkt = this.packet(dp, srcIp, this.dst, this.protocol, this.port, undefined, outIface, this.dnat);
    const v = evaluateChain(nat, 'POSTROUTING', pkt);
    const target = v.rule?.target;
    const masqueraded = target === 'MASQUERADE' || target === 'SNAT';
    const what = v.rule
      ? `-A ${v.rule.chain} ${v.rule.spec}`
      : `policy ${nat.chains['POSTROUTING']}, no rule`;
    const source = nodeFile(node, active.key);
    // Rules netdoctor cannot judge (sets, marks it does not know) may masquerade: no verdict then.
    if (!masqueraded && v.uncertain.some((r) => r.target === 'MASQUERADE' || r.target === 'SNAT'))
      return true;
    return this.add({
      kind: 'egress-nat',
      node,
      masqueraded,
      ...(v.rule ? { rule: what } : {}),
      status: masqueraded ? 'ok' : 'broken',
      summary: masqueraded
        ? `${srcIp} is masqueraded leaving ${node} (${what})`
        : `${node} does not masquerade ${srcIp} leaving the cluster`,
      ...(masqueraded
        ? {}
        : {
            reason: `${node} sends ${this.describePacket(srcIp)} out of the cluster unmasqueraded (nat POSTROUTING: ${what}): the answer cannot find its way back to a pod address`,
          }),
      evidence: [
        {
          source,
          observed: `nat POSTROUTING: ${what}`,
          ...(masqueraded ? {} : { expected: `-j MASQUERADE for ${srcIp} leaving the cluster` }),
        },
      ],
    });
  }

  /** A packet that came in on an interface is routed on only when the node forwards; false to stop. */
  forwardingHop(node: NodeFacts, dp: NodeDatapath): boolean {
    const v = dp.sysctls?.['net.ipv4.ip_forward'];
    if (v !== '0') return true;
    return this.add({
      kind: 'node-route',
      node: node.name,
      dst: this.dst,
      forwardingOff: true,
      status: 'broken',
      summary: `${node.name} does not forward packets`,
      reason: `${node.name} does not forward ${this.describePacket(this.src)}: net.ipv4.ip_forward is 0`,
      evidence: [
        {
          source: nodeFile(node.name, 'sysctls'),
          observed: 'net.ipv4.ip_forward = 0',
          expected: 'net.ipv4.ip_forward = 1',
        },
      ],
    });
  }

  /**
   * Reverse-path filtering on the interface a packet came in on: strict mode (1) drops it when
   * the route back to its source leaves by another interface, loose mode (2) when there is no
   * route back at all. The stricter of `all` and `default` applies (a new interface takes
   * `default`). False to stop.
   */
  rpFilterHop(node: NodeFacts, dp: NodeDatapath, iif: string): boolean {
    const all = Number(dp.sysctls?.['net.ipv4.conf.all.rp_filter'] ?? 0);
    const def = Number(dp.sysctls?.['net.ipv4.conf.default.rp_filter'] ?? 0);
    const mode = Math.max(Number.isFinite(all) ? all : 0, Number.isFinite(def) ? def : 0);
    if (mode === 0 || !dp.routes) return true;
    const back = routeFor(dp.routes, dp.ipRules, { src: this.dst, dst: this.src });
    const backDev = back.kind === 'route' ? back.route.dev : undefined;
    const ok = mode === 1 ? backDev === iif : back.kind === 'route';
    if (ok) return true;
    const shown = back.kind === 'route' ? formatRoute(back.route) : 'no route';
    return this.add({
      kind: 'node-route',
      node: node.name,
      dst: this.dst,
      rpFilter: true,
      status: 'broken',
      summary: `${node.name} drops the packet from ${this.src} by reverse-path filtering`,
      reason: `${node.name} drops ${this.describePacket(this.src)} arriving on ${iif}: rp_filter is ${mode === 1 ? 'strict' : 'loose'} and the route back to ${this.src} is ${shown}`,
      evidence: [
        {
          source: nodeFile(node.name, 'sysctls'),
          observed: `net.ipv4.conf.all.rp_filter = ${all}, net.ipv4.conf.default.rp_filter = ${def}`,
        },
        {
          source: nodeFile(node.name, 'routes'),
          observed: `route back to ${this.src}: ${shown}`,
          expected: mode === 1 ? `a route back via ${iif}` : 'a route back',
        },
      ],
    });
  }

  /** Judges the route the decision chose; returns it, or undefined to stop. */
  routeChecks(
    node: NodeFacts,
    dp: NodeDatapath,
    dstNode: NodeFacts | undefined,
    bridge: Link | undefined,
    route: Route | undefined,
    dst: string,
    source: string,
  ): Route | undefined {
    const want = dstNode?.podCidr && cidrContains(dstNode.podCidr, dst) ? dstNode.podCidr : dst;
    const base = { kind: 'node-route' as const, node: node.name, dst, want };
    if (!route) {
      this.add({
        ...base,
        status: 'broken',
        summary: `${node.name} has no route to ${dst}`,
        reason: `${node.name} has no route to ${want}: not even a default route`,
        evidence: [{ source, observed: 'no matching route in table main', expected: `a route to ${want}` }],
      });
      return undefined;
    }
    const text = formatRoute(route);
    const hop = {
      ...base,
      route: text,
      ...(route.dev ? { dev: route.dev } : {}),
      ...(route.gateway ? { via: route.gateway } : {}),
    };
    if (route.type && DISCARD_ROUTE_TYPES.has(route.type)) {
      this.add({
        ...hop,
        status: 'broken',
        summary: `${node.name} discards packets to ${dst}`,
        reason: `${node.name} routes ${dst} to ${text}`,
        evidence: [{ source, observed: text }],
      });
      return undefined;
    }
    const isLocalSubnet = dstNode?.name === node.name;
    const inOwnPodSubnet = node.podCidr !== undefined && cidrContains(node.podCidr, dst);
    if (isLocalSubnet && inOwnPodSubnet && bridge && route.dev !== bridge.ifname) {
      this.add({
        ...hop,
        status: 'broken',
        summary: `${node.name} routes its own pod ${dst} away from ${bridge.ifname}`,
        reason: `${node.name} routes ${dst} (its own pod subnet ${node.podCidr ?? ''}) via ${text} instead of ${bridge.ifname}`,
        evidence: [{ source, observed: text, expected: `${node.podCidr ?? dst} dev ${bridge.ifname}` }],
      });
      return undefined;
    }
    if (dstNode && !isLocalSubnet && dstNode.podCidr && cidrContains(dstNode.podCidr, dst)) {
      const overlay = dp.links?.find((l) => l.ifname === route.dev && l.kind === 'vxlan');
      const direct = route.gateway !== undefined && route.gateway === dstNode.underlayIp;
      if (!overlay && !direct) {
        const leave = `${route.dst}${route.dev ? ` dev ${route.dev}` : ''}${route.gateway ? ` (gateway ${route.gateway})` : ''}`;
        this.add({
          ...hop,
          status: 'broken',
          summary: `${node.name} has no route to ${dstNode.podCidr}`,
          reason: `${node.name} has no route to ${dstNode.podCidr}: it would leave via ${leave}`,
          evidence: [
            {
              source,
              observed: text,
              expected: `${dstNode.podCidr} via ${dstNode.podCidr.split('/')[0]} dev flannel.1 onlink (or via ${dstNode.underlayIp ?? "the peer's address"})`,
            },
          ],
        });
        return undefined;
      }
    }
    this.add({ ...hop, status: 'ok', summary: `${dst} -> ${text}`, evidence: [{ source, observed: text }] });
    return route;
  }

  /** Neighbour and FDB entries for the peer's VTEP; returns the VXLAN remote, or undefined to stop. */
  vxlanHops(
    node: NodeFacts,
    dp: NodeDatapath,
    overlay: Link,
    route: Route,
    peer: NodeFacts,
  ): string | undefined {
    const dev = overlay.ifname;
    const gw = route.gateway ?? this.dst;
    const expectedMac = peer.vtepMac;
    const whose = `${peer.name}'s VTEP`;
    let mac = expectedMac;
    const neighSource = nodeFile(node.name, 'neighbors');
    if (!dp.neighbors) {
      this.add({
        kind: 'vxlan-neighbour',
        status: 'unknown',
        node: node.name,
        dev,
        gateway: gw,
        summary: `neighbours were not collected from ${node.name}`,
        reason: `neighbours were not collected from ${node.name}`,
        evidence: [],
      });
    } else {
      const n = dp.neighbors.find((x) => x.dst === gw && x.dev === dev);
      const bad = !n?.lladdr || n.state.some((s) => s === 'FAILED' || s === 'INCOMPLETE');
      const base = {
        kind: 'vxlan-neighbour' as const,
        node: node.name,
        dev,
        gateway: gw,
        ...(expectedMac ? { expectedMac } : {}),
      };
      if (!n || bad) {
        this.add({
          ...base,
          status: 'broken',
          summary: `${dev} cannot resolve ${gw}`,
          reason: `${dev} on ${node.name} has no neighbour entry for ${gw} (${whose}${expectedMac ? ` ${expectedMac}` : ''})`,
          evidence: [
            {
              source: neighSource,
              observed: n ? formatNeighbor(n) : `no entry for ${gw} dev ${dev}`,
              expected: `${gw} dev ${dev} lladdr ${expectedMac ?? '<VTEP MAC>'} PERMANENT`,
            },
          ],
        });
        return undefined;
      }
      const got = n.lladdr!.toLowerCase();
      if (expectedMac && got !== expectedMac) {
        this.add({
          ...base,
          status: 'broken',
          mac: got,
          summary: `${dev} resolves ${gw} to the wrong MAC`,
          reason: `${dev} on ${node.name} resolves ${gw} to ${got}, but ${whose} is ${expectedMac}`,
          evidence: [{ source: neighSource, observed: formatNeighbor(n), expected: `lladdr ${expectedMac}` }],
        });
        return undefined;
      }
      mac = got;
      this.add({
        ...base,
        status: 'ok',
        mac: got,
        summary: `${gw} -> ${got} (${whose}) on ${dev}`,
        evidence: [{ source: neighSource, observed: formatNeighbor(n) }],
      });
    }

    const fdbSource = nodeFile(node.name, 'fdb');
    const expectedRemote = peer.underlayIp;
    const fbase = {
      kind: 'vxlan-fdb' as const,
      node: node.name,
      dev,
      mac: mac ?? '?',
      ...(expectedRemote ? { expectedRemote } : {}),
    };
    if (!dp.fdb || !mac) {
      this.add({
        ...fbase,
        status: 'unknown',
        summary: `cannot check ${dev}'s FDB`,
        reason: !dp.fdb
          ? `the FDB was not collected from ${node.name}`
          : `${whose} MAC is unknown (no neighbour entry, no flannel annotation)`,
        evidence: [],
      });
      return expectedRemote;
    }
    const entry = dp.fdb.find((f) => f.dev === dev && f.mac.toLowerCase() === mac && f.dst !== undefined);
    if (!entry?.dst) {
      this.add({
        ...fbase,
        status: 'broken',
        summary: `${dev} has no FDB entry for ${mac}`,
        reason: `${dev} on ${node.name} has no FDB entry for ${mac} (${whose}): VXLAN frames for ${peer.name} have no destination`,
        evidence: [
          {
            source: fdbSource,
            observed: `no entry for ${mac} dev ${dev}`,
            expected: `${mac} dev ${dev} dst ${expectedRemote ?? '<peer underlay IP>'} self permanent`,
          },
        ],
      });
      return undefined;
    }
    if (expectedRemote && entry.dst !== expectedRemote) {
      this.add({
        ...fbase,
        status: 'broken',
        remote: entry.dst,
        summary: `${dev} sends ${mac} to the wrong node`,
        reason: `${dev} on ${node.name} sends ${mac} (${whose}) to ${entry.dst}, but ${peer.name} is at ${expectedRemote}`,
        evidence: [{ source: fdbSource, observed: formatFdb(entry), expected: `dst ${expectedRemote}` }],
      });
      return undefined;
    }
    this.add({
      ...fbase,
      status: 'ok',
      remote: entry.dst,
      summary: `${mac} -> ${entry.dst} on ${dev}`,
      evidence: [{ source: fdbSource, observed: formatFdb(entry) }],
    });
    return entry.dst;
  }

  /** The encapsulated (or directly routed) packet on the underlay; returns the underlay device. */
  underlayHop(
    node: NodeFacts,
    dp: NodeDatapath,
    remote: string,
    overlay: Link | undefined,
  ): string | undefined {
    const source = nodeFile(node.name, 'routes');
    const port = overlay?.vxlan?.port;
    const base = {
      kind: 'underlay' as const,
      node: node.name,
      to: remote,
      ...(overlay?.vxlan?.local ? { from: overlay.vxlan.local } : {}),
      ...(port !== undefined ? { port } : {}),
    };
    if (!overlay) {
      // host-gw style: the node route already sends the pod packet straight to the peer.
      this.add({
        ...base,
        status: 'ok',
        summary: `routed directly to ${remote} (no encapsulation)`,
        evidence: [],
      });
      return 'direct';
    }
    if (!dp.routes) {
      this.add({
        ...base,
        status: 'unknown',
        summary: `routes were not collected from ${node.name}`,
        reason: `routes were not collected from ${node.name}`,
        evidence: [],
      });
      return overlay.vxlan?.dev ?? 'unknown';
    }
    const r = lookupRoute(dp.routes, remote);
    if (!r || r.dev === overlay.ifname || (r.type && DISCARD_ROUTE_TYPES.has(r.type))) {
      this.add({
        ...base,
        status: 'broken',
        summary: `${node.name} cannot reach ${remote} on the underlay`,
        reason: r
          ? `${node.name} routes the VXLAN remote ${remote} via ${formatRoute(r)}`
          : `${node.name} has no route to the VXLAN remote ${remote}`,
        evidence: [
          {
            source,
            observed: r ? formatRoute(r) : 'no route',
            expected: `a route to ${remote} over the node network`,
          },
        ],
      });
      return undefined;
    }
    const underDev = dp.links?.find((l) => l.ifname === r.dev);
    const ev: Evidence[] = [{ source, observed: formatRoute(r) }];
    let note = '';
    if (underDev && overlay.mtu + VXLAN_OVERHEAD > underDev.mtu) {
      note = `; ${overlay.ifname} MTU ${overlay.mtu} + ${VXLAN_OVERHEAD} exceeds ${underDev.ifname} MTU ${underDev.mtu}, large packets will not fit`;
      ev.push({
        source: nodeFile(node.name, 'links'),
        observed: `${overlay.ifname} mtu ${overlay.mtu}, ${underDev.ifname} mtu ${underDev.mtu}`,
        expected: `${overlay.ifname} mtu <= ${underDev.mtu - VXLAN_OVERHEAD}`,
      });
    }
    // The encapsulated packet is the node's own traffic: it crosses the OUTPUT hooks.
    const active = activeIptables(dp);
    const filter = active?.dump.tables['filter'];
    if (port !== undefined) {
      const pkt = this.packet(dp, overlay.vxlan?.local ?? '', remote, 'udp', port, undefined, r.dev, false);
      const blocked = this.hookDrop(node.name, dp, 'OUTPUT', pkt, active);
      if (blocked) {
        this.add({
          ...base,
          status: 'broken',
          vxlanBlocked: true,
          dev: r.dev ?? '',
          summary: `${node.name} blocks VXLAN (udp/${port}) to ${remote}`,
          reason: `${node.name} ${blocked.where} ${blocked.verdict}s VXLAN to ${remote} udp/${port}: ${blocked.what}`,
          evidence: [...ev, blocked.evidence],
        });
        return undefined;
      }
    }
    if (active && filter && port !== undefined) {
      const v = evaluateChain(
        filter,
        'OUTPUT',
        this.packet(dp, overlay.vxlan?.local ?? '', remote, 'udp', port, undefined, r.dev, false),
      );
      if (v.verdict !== 'accept') {
        const what = v.rule ? `-A ${v.rule.chain} ${v.rule.spec}` : `policy ${filter.chains['OUTPUT']}`;
        this.add({
          ...base,
          status: 'broken',
          vxlanBlocked: true,
          dev: r.dev ?? '',
          summary: `${node.name} blocks VXLAN (udp/${port}) to ${remote}`,
          reason: `${node.name} filter OUTPUT ${v.verdict}s VXLAN to ${remote} udp/${port}: ${what}`,
          evidence: [...ev, { source: nodeFile(node.name, active.key), observed: what }],
        });
        return undefined;
      }
    }
    const vni = overlay.vxlan?.id !== undefined ? `VNI ${overlay.vxlan.id}, ` : '';
    this.add({
      ...base,
      status: 'ok',
      ...(r.dev ? { dev: r.dev } : {}),
      summary: `VXLAN (${vni}udp/${port ?? '?'}) ${overlay.vxlan?.local ?? ''} -> ${remote} via ${r.dev ?? r.gateway}${note}`,
      evidence: ev,
    });
    return r.dev ?? 'unknown';
  }

  /** The node at the far end of the underlay; returns it, or undefined to stop. */
  peerHop(remote: string, dstNode: NodeFacts, overlay: Link | undefined): NodeFacts | undefined {
    const peer = nodeWithUnderlayIp(this.view, remote);
    const base = { kind: 'peer-node' as const };
    if (!peer) {
      this.add({
        ...base,
        peer: remote,
        status: 'broken',
        misdirected: true,
        summary: `${remote} is no node of the cluster`,
        reason: `packets for ${dstNode.name} are sent to ${remote}, which is no node's address`,
        evidence: [
          {
            source: CLUSTER_FILES.nodes,
            observed: `no node with InternalIP ${remote}`,
            expected: `${dstNode.name} at ${dstNode.underlayIp ?? '?'}`,
          },
        ],
      });
      return undefined;
    }
    if (peer.name !== dstNode.name) {
      this.add({
        ...base,
        peer: peer.name,
        node: peer.name,
        status: 'broken',
        misdirected: true,
        summary: `packets for ${this.dst} reach ${peer.name}, not ${dstNode.name}`,
        reason: `packets for ${this.dst} are sent to ${peer.name} (${remote}), but ${this.dst} lives on ${dstNode.name}`,
        evidence: [
          { source: CLUSTER_FILES.nodes, observed: `${remote} is ${peer.name}`, expected: dstNode.name },
        ],
      });
      return undefined;
    }
    const dp = this.snapshot.nodes[peer.name];
    if (!dp) {
      this.add({
        ...base,
        peer: peer.name,
        node: peer.name,
        status: 'unknown',
        summary: `no datapath was collected from ${peer.name}`,
        reason: `no datapath was collected from ${peer.name}; the rest of the path cannot be checked`,
        evidence: [],
      });
      return peer;
    }
    if (overlay) {
      const source = nodeFile(peer.name, 'links');
      const vx = dp.links?.find((l) => l.kind === 'vxlan' && l.vxlan?.id === overlay.vxlan?.id);
      if (dp.links && !vx) {
        this.add({
          ...base,
          peer: peer.name,
          node: peer.name,
          status: 'broken',
          summary: `${peer.name} has no VXLAN device for VNI ${overlay.vxlan?.id}`,
          reason: `${peer.name} has no VXLAN device with VNI ${overlay.vxlan?.id ?? '?'}: it cannot decapsulate the packet`,
          evidence: [
            {
              source,
              observed: 'no vxlan device',
              expected: `${overlay.ifname} (vxlan id ${overlay.vxlan?.id})`,
            },
          ],
        });
        return undefined;
      }
      const active = activeIptables(dp);
      const filter = active?.dump.tables['filter'];
      const port = overlay.vxlan?.port;
      if (port !== undefined && peer.underlayIp) {
        const pkt = this.packet(
          dp,
          overlay.vxlan?.local ?? '',
          peer.underlayIp,
          'udp',
          port,
          vx?.vxlan?.dev,
          undefined,
          false,
        );
        const blocked = this.hookDrop(peer.name, dp, 'INPUT', pkt, active);
        if (blocked) {
          this.add({
            ...base,
            peer: peer.name,
            node: peer.name,
            status: 'broken',
            vxlanBlocked: true,
            summary: `${peer.name} blocks VXLAN (udp/${port})`,
            reason: `${peer.name} ${blocked.where} ${blocked.verdict}s VXLAN udp/${port} from ${overlay.vxlan?.local ?? 'the source node'}: ${blocked.what}`,
            evidence: [blocked.evidence],
          });
          return undefined;
        }
      }
      if (active && filter && port !== undefined && peer.underlayIp) {
        const v = evaluateChain(
          filter,
          'INPUT',
          this.packet(
            dp,
            overlay.vxlan?.local ?? '',
            peer.underlayIp,
            'udp',
            port,
            vx?.vxlan?.dev,
            undefined,
            false,
          ),
        );
        if (v.verdict !== 'accept') {
          const what = v.rule ? `-A ${v.rule.chain} ${v.rule.spec}` : `policy ${filter.chains['INPUT']}`;
          this.add({
            ...base,
            peer: peer.name,
            node: peer.name,
            status: 'broken',
            vxlanBlocked: true,
            summary: `${peer.name} blocks VXLAN (udp/${port})`,
            reason: `${peer.name} filter INPUT ${v.verdict}s VXLAN udp/${port} from ${overlay.vxlan?.local ?? 'the source node'}: ${what}`,
            evidence: [{ source: nodeFile(peer.name, active.key), observed: what }],
          });
          return undefined;
        }
      }
      const macOk = vx?.address && dstNode.vtepMac ? vx.address.toLowerCase() === dstNode.vtepMac : undefined;
      if (macOk === false) {
        this.add({
          ...base,
          peer: peer.name,
          node: peer.name,
          status: 'broken',
          summary: `${peer.name}'s ${vx!.ifname} MAC differs from its flannel annotation`,
          reason: `${peer.name}'s ${vx!.ifname} has MAC ${vx!.address}, but its node annotation (and so every peer's FDB) says ${dstNode.vtepMac}`,
          evidence: [
            { source, observed: `${vx!.ifname} link/ether ${vx!.address}`, expected: dstNode.vtepMac! },
          ],
        });
        return undefined;
      }
      this.add({
        ...base,
        peer: peer.name,
        node: peer.name,
        status: 'ok',
        summary: `${peer.name} (${remote}) decapsulates on ${vx?.ifname ?? overlay.ifname}`,
        evidence: vx
          ? [
              {
                source,
                observed: `${vx.ifname} vxlan id ${vx.vxlan?.id} dstport ${vx.vxlan?.port} link/ether ${vx.address}`,
              },
            ]
          : [],
      });
      return peer;
    }
    this.add({
      ...base,
      peer: peer.name,
      node: peer.name,
      status: 'ok',
      summary: `${peer.name} (${remote}) receives the packet`,
      evidence: [],
    });
    return peer;
  }

  /** iptables filter on `node` for the current packet; false to stop. */
  filterHop(
    node: string,
    dp: NodeDatapath,
    chain: 'FORWARD' | 'OUTPUT',
    srcIp: string,
    inIface: string | undefined,
    outIface: string | undefined,
  ): boolean {
    const active = activeIptables(dp);
    const filter = active?.dump.tables['filter'];
    const base = { kind: 'filter' as const, node, table: 'filter', chain };
    if (!active || !filter) {
      return this.add({
        ...base,
        verdict: 'unknown',
        status: 'unknown',
        summary: `no iptables filter table was collected from ${node}`,
        reason: `no iptables filter table was collected from ${node}`,
        evidence: [],
      });
    }
    const source = nodeFile(node, active.key);
    const reply = this.query.reply === true;
    const pkt = this.packet(
      dp,
      srcIp,
      this.dst,
      this.protocol,
      this.port,
      inIface,
      outIface,
      this.dnat,
      reply,
    );
    // raw, mangle and nat on the same path, and every hook of the other backend, drop too.
    const other = firstHookDrop(dp, chain, pkt, { reply, skip: { key: active.key, table: 'filter' } });
    if (other) {
      const what = other.rule
        ? `-A ${other.rule.chain} ${other.rule.spec}`
        : `policy ${other.policy ?? 'DROP'}`;
      const backendName = other.key === 'iptablesNft' ? 'iptables-nft' : 'iptables-legacy';
      const backend = other.key === active.key ? '' : ` (${backendName})`;
      return this.add({
        ...base,
        table: other.table,
        chain: other.chain,
        verdict: other.verdict,
        backend: backendName,
        ...(other.key === active.key ? {} : { inactiveBackend: true }),
        ...(other.rule ? { rule: what } : {}),
        status: 'broken',
        summary: `${node} ${other.table} ${other.chain}${backend} ${other.verdict}s the packet`,
        reason: `${node} ${other.table} ${other.chain}${backend} ${other.verdict}s ${this.describePacket(srcIp)}: ${what}`,
        evidence: [{ source: nodeFile(node, other.key), observed: `*${other.table} ${what}` }],
      });
    }
    // A host firewall written with nft, outside iptables' tables.
    const native = nftNativeDrop(dp.nftRuleset, chain, pkt, {
      iptablesNft: dp.iptablesNft !== undefined,
      reply,
    });
    if (native) {
      const where = `${native.family} ${native.table} ${native.chain}`;
      const what = native.rule ?? `policy ${native.verdict}`;
      return this.add({
        ...base,
        table: `nft ${native.family} ${native.table}`,
        chain: native.chain,
        verdict: native.verdict,
        backend: 'nftables',
        ...(native.rule ? { rule: native.rule } : {}),
        status: 'broken',
        summary: `${node} nft ${where} ${native.verdict}s the packet`,
        reason: `${node} nft ${where} ${native.verdict}s ${this.describePacket(srcIp)}: ${what}`,
        evidence: [{ source: nodeFile(node, 'nftRuleset'), observed: `table ${where}: ${what}` }],
      });
    }
    const v = evaluateChain(filter, chain, pkt);
    const what = v.rule ? `-A ${v.rule.chain} ${v.rule.spec}` : `policy ${filter.chains[chain] ?? 'ACCEPT'}`;
    const ev: Evidence[] = [{ source, observed: what }];
    for (const u of v.uncertain.slice(0, 3))
      ev.push({ source, observed: `not judged: -A ${u.chain} ${u.spec}` });
    if (v.verdict !== 'accept') {
      return this.add({
        ...base,
        verdict: v.verdict,
        backend: active.key === 'iptablesNft' ? 'iptables-nft' : 'iptables-legacy',
        ...(v.rule ? { rule: what } : {}),
        status: 'broken',
        summary: `${node} filter ${chain} ${v.verdict}s the packet`,
        reason: `${node} filter ${chain} ${v.verdict}s ${this.describePacket(srcIp)}: ${what}`,
        evidence: ev,
      });
    }
    return this.add({
      ...base,
      verdict: 'accept',
      ...(v.rule ? { rule: what } : {}),
      status: 'ok',
      summary: `${node} filter ${chain} accepts (${v.path.join(' -> ')}: ${what})${v.uncertain.length ? `; ${v.uncertain.length} rule(s) could not be judged` : ''}`,
      evidence: ev,
    });
  }

  /**
   * A drop of the node's own (encapsulated) packet by any hook but the active backend's filter
   * chain, which the caller judges with its full evidence: raw, mangle, nat, the other backend,
   * a host firewall written with nft.
   */
  hookDrop(
    node: string,
    dp: NodeDatapath,
    path: 'OUTPUT' | 'INPUT',
    pkt: PacketView,
    active: ReturnType<typeof activeIptables>,
  ): HookBlock | undefined {
    const reply = this.query.reply === true;
    const other = firstHookDrop(dp, path, pkt, {
      reply,
      ...(active ? { skip: { key: active.key, table: 'filter' } } : {}),
    });
    if (other) {
      const what = other.rule
        ? `-A ${other.rule.chain} ${other.rule.spec}`
        : `policy ${other.policy ?? 'DROP'}`;
      const backend = other.key === 'iptablesNft' ? 'iptables-nft' : 'iptables-legacy';
      return {
        where: `${other.table} ${other.chain} (${backend})`,
        table: other.table,
        chain: other.chain,
        backend,
        inactive: activeIptables(dp)?.key !== other.key,
        verdict: other.verdict,
        what,
        ...(other.rule ? { rule: what } : {}),
        evidence: { source: nodeFile(node, other.key), observed: `*${other.table} ${what}` },
      };
    }
    const native = nftNativeDrop(dp.nftRuleset, path, pkt, {
      iptablesNft: dp.iptablesNft !== undefined,
      reply,
    });
    if (!native) return undefined;
    const what = native.rule ?? `policy ${native.verdict}`;
    return {
      where: `nft ${native.family} ${native.table} ${native.chain}`,
      table: `nft ${native.family} ${native.table}`,
      chain: native.chain,
      backend: 'nftables',
      inactive: false,
      verdict: native.verdict,
      what,
      ...(native.rule ? { rule: native.rule } : {}),
      evidence: {
        source: nodeFile(node, 'nftRuleset'),
        observed: `table ${native.family} ${native.table} ${native.chain}: ${what}`,
      },
    };
  }

  /**
   * A packet for the node itself (a host-network destination) crosses the INPUT hooks of every
   * backend, filter included; false to stop.
   */
  inputHop(node: string, dp: NodeDatapath, srcIp: string, inIface: string | undefined): boolean {
    const reply = this.query.reply === true;
    const pkt = this.packet(
      dp,
      srcIp,
      this.dst,
      this.protocol,
      this.port,
      inIface,
      undefined,
      this.dnat,
      reply,
    );
    const b = this.hookDrop(node, dp, 'INPUT', pkt, undefined);
    if (!b) return true;
    return this.add({
      kind: 'filter',
      node,
      table: b.table,
      chain: b.chain,
      verdict: b.verdict,
      backend: b.backend,
      ...(b.inactive ? { inactiveBackend: true as const } : {}),
      ...(b.rule ? { rule: b.rule } : {}),
      status: 'broken',
      summary: `${node} ${b.where} ${b.verdict}s the packet`,
      reason: `${node} ${b.where} ${b.verdict}s ${this.describePacket(srcIp)}: ${b.what}`,
      evidence: [b.evidence],
    });
  }

  deliveredHop(node: string, pod: K8sPod | undefined, hostNetwork: boolean): void {
    const ip = this.dst;
    const base = {
      kind: 'delivered' as const,
      node,
      ip,
      ...(this.port !== undefined ? { port: this.port } : {}),
    };
    if (hostNetwork) {
      this.add({ ...base, status: 'ok', summary: `delivered to ${node} itself (${ip})`, evidence: [] });
      return;
    }
    if (!pod) {
      this.add({
        ...base,
        status: 'broken',
        summary: `no pod has ${ip}`,
        reason: `no pod on ${node} has ${ip}: the address is stale (a deleted pod, or an endpoint kube-proxy has not updated)`,
        evidence: [{ source: CLUSTER_FILES.pods, observed: `no pod with podIP ${ip}` }],
      });
      return;
    }
    const key = podKeyOf(pod);
    const ev: Evidence = {
      source: `${CLUSTER_FILES.pods}#${key}`,
      observed: `podIP=${pod.status.podIP} nodeName=${pod.spec.nodeName ?? ''} phase=${pod.status.phase ?? '?'}`,
    };
    if (pod.status.phase && pod.status.phase !== 'Running') {
      this.add({
        ...base,
        pod: key,
        status: 'broken',
        summary: `${key} is ${pod.status.phase}`,
        reason: `${key} (${ip}) is ${pod.status.phase}, not Running`,
        evidence: [ev],
      });
      return;
    }
    this.add({
      ...base,
      pod: key,
      status: 'ok',
      summary: `delivered to ${key} (${ip}${this.port !== undefined ? `:${this.port}/${this.protocol}` : ''}) on ${node}`,
      evidence: [ev],
    });
  }

  packet(
    dp: NodeDatapath,
    src: string,
    dst: string,
    proto: TraceProtocol,
    dport: number | undefined,
    inIface: string | undefined,
    outIface: string | undefined,
    dnat: boolean,
    reply = false,
  ): PacketView {
    const local = new Set<string>();
    for (const l of dp.links ?? []) for (const a of l.addrs) local.add(a.local);
    return {
      src,
      dst,
      proto,
      // A reply goes to the client's ephemeral port, which the snapshot does not know.
      ...(dport !== undefined && !reply ? { dport } : {}),
      ...(inIface !== undefined ? { inIface } : {}),
      ...(outIface !== undefined ? { outIface } : {}),
      ctstates: new Set(reply ? ['ESTABLISHED'] : dnat ? ['NEW', 'DNAT'] : ['NEW']),
      mark: 0,
      localAddrs: local,
    };
  }

  describePacket(src: string): string {
    if (this.query.reply)
      return `the reply ${src}${this.port !== undefined ? `:${this.port}` : ''} -> ${this.dst}/${this.protocol}`;
    return `${src} -> ${this.dst}${this.port !== undefined ? `:${this.port}` : ''}/${this.protocol}`;
  }

  result(from: ResolvedEndpoint, to: ResolvedEndpoint): TraceResult {
    const stop = this.hops.findIndex((h) => h.status === 'broken');
    const firstUnknown = this.hops.findIndex((h) => h.status === 'unknown');
    const reached = this.hops.at(-1)?.kind === 'delivered' && this.hops.at(-1)?.status === 'ok';
    const status: TraceResult['status'] =
      stop !== -1 ? 'broken' : firstUnknown !== -1 || !reached ? 'unknown' : 'delivered';
    const at = stop !== -1 ? stop : firstUnknown;
    const res: TraceResult = {
      query: this.query,
      from: endpointInfo(from),
      to: { ...endpointInfo(to), ...(this.resolvedTo ?? {}) },
      status,
      hops: this.hops,
    };
    if (at !== -1) {
      res.stoppedAt = at;
      const reason = this.hops[at]!.reason;
      if (reason) res.reason = reason;
    }
    return res;
  }
}

function endpointInfo(e: ResolvedEndpoint): TraceEndpointInfo {
  return {
    input: e.input,
    ip: e.ip,
    ...(e.node ? { node: e.node } : {}),
    ...(e.podKey ? { pod: e.podKey } : {}),
    ...(e.serviceKey ? { service: e.serviceKey } : {}),
  };
}

function podKeyOf(p: K8sPod): string {
  return `${p.metadata.namespace ?? 'default'}/${p.metadata.name}`;
}

/** A bridge carrying an address in the node's pod subnet (CNIs that do not call it cni0). */
function findPodBridge(dp: NodeDatapath, node: NodeFacts): Link | undefined {
  if (!node.podCidr) return undefined;
  return dp.links?.find(
    (l) => l.kind === 'bridge' && l.addrs.some((a) => cidrContains(node.podCidr!, a.local)),
  );
}

function unknownHop(node: string, reason: string): TraceHop {
  return { kind: 'veth-bridge', status: 'unknown', node, summary: reason, reason, evidence: [] };
}
