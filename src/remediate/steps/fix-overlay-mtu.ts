/**
 * Seed 000 overlay step: full-size VXLAN packets do not fit the path between the nodes, so the
 * overlay MTU is lowered to what the path is measured to carry. The path is not in the snapshot
 * (a switch or cloud underlay that drops rather than says "too big"), so apply measures it first
 * with don't-fragment pings from the affected node through flannel.1 to every peer's flannel.1.
 * Then, cluster-wide because every node's packets cross that path: flannel's ConfigMap gets
 * the underlay MTU (Backend.MTU, which flannel uses only when it creates flannel.1 and for
 * subnet.env's FLANNEL_MTU), flannel restarts so subnet.env carries it to new pods, and each
 * node's existing flannel.1, cni0 and running pods' interfaces are set in place (flannel keeps an
 * existing flannel.1 as it is, and a pod keeps the MTU it was created with).
 */

import { nodePodCidr4 } from '../../analyze/snapshot-index.ts';
import { MTU_REPAIR_CNI } from '../../cni/index.ts';
import { VXLAN_OVERHEAD } from '../../cni/vxlan.ts';
import type { K8sDaemonSet } from '../../core/cluster-types.ts';
import type { Link } from '../../core/datapath-types.ts';
import type { Snapshot } from '../../core/model.ts';
import { parseCidr4 } from '../../core/net/ipv4.ts';
import {
  checkScript,
  MIN_OVERLAY_MTU,
  measureScript,
  type NodeMtuChange,
  PING_OVERHEAD,
  parseCheck,
  parseMeasure,
  parseSet,
  setMtuScript,
  vtepAddress,
  vxlanBackend,
  withBackendMtu,
} from '../overlay-mtu.ts';
import { applyRestart, type RolloutTarget, restartChange, verifyRollout } from '../rollout.ts';
import type { AppliedAction, AppliedRecord, RepairExec, RepairStep, UndoAction } from '../step.ts';
import {
  basePlan,
  causeNodes,
  cniDaemonSet,
  errText,
  nodeCommand,
  planned,
  pollUntil,
  rolloutState,
  runUndo,
  sh,
  toYaml,
} from '../step-kit.ts';

/** The CNI whose MTU this step sets, and the names it uses (flannel: kube-flannel-cfg's net-conf.json, flanneld, subnet.env's FLANNEL_MTU, cni0). */
const CNI = MTU_REPAIR_CNI;
const MTU = CNI.repair.overlayMtu ?? {
  configMap: '',
  configKey: '',
  agentProcess: '',
  stateFile: '',
  stateMtuKey: '',
};
const NET_CONF = MTU.configKey;
const CNI_BRIDGE = CNI.datapath.bridge ?? '';
const NAME = CNI.displayName;
/** How the plan shows the value only apply knows. */
const MEASURED = '<measured at apply>';

interface OverlayNode {
  name: string;
  podCidr: string;
  /** The node's VXLAN device address (its pod subnet's network address). */
  vtep: string;
}

type Params = {
  configMap: { namespace: string; name: string };
  /** net-conf.json as diagnosed, for the plan's diff (apply reads it live again). */
  netConf: string;
  device: string;
  daemonSet: RolloutTarget;
  nodes: OverlayNode[];
  /** The affected nodes, measured from, each to every other node's VXLAN address. */
  measureFrom: { node: string; peers: string[] }[];
  /** The smallest underlay device MTU of any node minus VXLAN: no target may exceed it. */
  deviceCap: number | undefined;
  /** The overlay MTU every node already agrees on (device, subnet.env, pods), if they all do. */
  agreed: number | undefined;
};

/** The device VXLAN packets leave by: the VXLAN device's lower device, else the one holding its local address. */
function underlayOf(links: Link[], vx: Link): Link | undefined {
  const lower = vx.vxlan?.dev ?? vx.link;
  const byName = lower ? links.find((l) => l.ifname === lower) : undefined;
  if (byName) return byName;
  const local = vx.vxlan?.local;
  return local ? links.find((l) => l.addrs.some((a) => a.local === local)) : undefined;
}

/** What the snapshot says about the device MTU each node could carry and already agrees on. */
function snapshotMtus(
  snapshot: Snapshot,
  device: string,
  nodes: string[],
): { cap: number | undefined; agreed: number | undefined } {
  let cap: number | undefined;
  const seen = new Set<number>();
  let complete = true;
  for (const n of nodes) {
    const dp = snapshot.nodes[n];
    const links = dp?.links;
    const vx = links?.find((l) => l.ifname === device);
    if (!links || !vx) {
      complete = false;
      continue;
    }
    const under = underlayOf(links, vx);
    if (under) cap = Math.min(cap ?? Number.POSITIVE_INFINITY, under.mtu - VXLAN_OVERHEAD);
    seen.add(vx.mtu);
    const agentMtu = CNI.nodeAgentState(dp)?.mtu;
    if (agentMtu !== undefined) seen.add(agentMtu);
    else complete = false;
    for (const l of links)
      if ((l.ifname === CNI_BRIDGE || l.master === CNI_BRIDGE) && l.mtu > vx.mtu) complete = false;
  }
  return { cap, agreed: complete && seen.size === 1 ? [...seen][0] : undefined };
}

function agentConfigMap(snapshot: Snapshot, ds: K8sDaemonSet) {
  const withConf = snapshot.cluster.configMaps.filter((c) => c.data?.[NET_CONF] !== undefined);
  return (
    withConf.find(
      (c) => c.metadata.namespace === ds.metadata.namespace && c.metadata.name === MTU.configMap,
    ) ??
    withConf.find((c) => c.metadata.namespace === ds.metadata.namespace) ??
    withConf.find((c) => c.metadata.name === MTU.configMap)
  );
}

const MANUAL = [
  `kubectl -n ${CNI.agent.namespace} edit configmap ${MTU.configMap}   # ${NET_CONF}: "Backend": {..., "MTU": <path MTU>}`,
  `kubectl -n ${CNI.agent.namespace} rollout restart daemonset/${CNI.agent.daemonSet}`,
  `ip link set dev ${CNI.datapath.overlayDevice} mtu <path MTU - ${VXLAN_OVERHEAD}>   # on every node: ${NAME} keeps an existing ${CNI.datapath.overlayDevice}`,
];

export const fixOverlayMtu: RepairStep<Params> = {
  id: 'fix-overlay-mtu',
  title: 'Fit the overlay MTU to the measured underlay path',
  phase: 'cni-agent',
  order: 33,
  handles: ['overlay.mtu-mismatch'],
  plan(input) {
    const { snapshot } = input;
    const refuse = (reason: string) => ({ status: 'refused' as const, reason, manualCommands: MANUAL });
    const ds = cniDaemonSet(snapshot);
    if (!ds || !CNI.agent.daemonSetNames.test(ds.metadata.name))
      return refuse(`automated only for ${NAME}: no ${NAME} DaemonSet in the snapshot`);
    const cm = agentConfigMap(snapshot, ds);
    const netConf = cm?.data?.[NET_CONF];
    if (!cm || netConf === undefined)
      return refuse(`no ConfigMap with ${NAME}'s ${NET_CONF} in the snapshot`);
    const backend = vxlanBackend(netConf);
    if (!backend) return refuse(`${NET_CONF} in ConfigMap ${cm.metadata.name} is not a JSON object`);
    if (backend.type !== 'vxlan')
      return refuse(
        `${NAME}'s backend is ${backend.type || '(unset)'}, not vxlan: its overhead is not VXLAN's`,
      );
    const nodes: OverlayNode[] = [];
    for (const n of snapshot.cluster.nodes) {
      const cidr = nodePodCidr4(n);
      const parsed = cidr ? parseCidr4(cidr) : undefined;
      if (!cidr || !parsed)
        return refuse(`node ${n.metadata.name} has no IPv4 pod subnet to find its ${backend.device} by`);
      nodes.push({ name: n.metadata.name, podCidr: parsed.text, vtep: vtepAddress(parsed) });
    }
    const affected = causeNodes(input.causes).filter((n) => nodes.some((x) => x.name === n));
    if (affected.length === 0) return refuse('the root causes name no node of the cluster to measure from');
    if (nodes.length < 2) return refuse('one node has no overlay path to measure');
    const measureFrom = affected.map((n) => ({
      node: n,
      peers: nodes.filter((x) => x.name !== n).map((x) => x.vtep),
    }));
    const { cap, agreed } = snapshotMtus(
      snapshot,
      backend.device,
      nodes.map((n) => n.name),
    );
    const p: Params = {
      configMap: { namespace: cm.metadata.namespace ?? 'default', name: cm.metadata.name },
      netConf,
      device: backend.device,
      daemonSet: { kind: 'DaemonSet', namespace: ds.metadata.namespace ?? 'default', name: ds.metadata.name },
      nodes,
      measureFrom,
      deviceCap: cap,
      agreed,
    };
    const plan = basePlan(fixOverlayMtu, input);
    const params: Params = p;
    plan.objectChanges.push(
      {
        kind: 'ConfigMap',
        namespace: p.configMap.namespace,
        name: p.configMap.name,
        action: 'patch',
        patch: { data: { [NET_CONF]: withBackendMtu(netConf, MEASURED) } },
        patchType: 'merge',
        before: toYaml({ data: { [NET_CONF]: netConf } }),
        after: toYaml({ data: { [NET_CONF]: withBackendMtu(netConf, MEASURED) } }),
        why: `Backend.MTU = the measured path MTU (overlay MTU + ${VXLAN_OVERHEAD}): ${NAME} writes MTU - ${VXLAN_OVERHEAD} to ${MTU.stateFile} as ${MTU.stateMtuKey}, which new pods get`,
      },
      restartChange(
        p.daemonSet,
        ds,
        `${MTU.agentProcess} reads ${NET_CONF} only at start: restart it to rewrite ${MTU.stateFile}`,
      ),
    );
    for (const m of measureFrom) {
      plan.nodeCommands.push(
        nodeCommand(
          m.node,
          measureScript(backend.device, m.peers),
          `measure: don't-fragment pings through ${backend.device} to ${m.peers.join(', ')}, binary search on size; largest answered + ${PING_OVERHEAD} is the overlay MTU`,
        ),
      );
    }
    for (const n of nodes) {
      const cur = snapshot.nodes[n.name]?.links?.find((l) => l.ifname === backend.device)?.mtu;
      plan.nodeCommands.push(
        nodeCommand(
          n.name,
          setMtuScript(backend.device, { kind: 'set', mtu: '"$MEASURED_OVERLAY_MTU"' }),
          `${backend.device} ${cur ?? '?'} -> the measured overlay MTU; the node's running pods (eth0 and host veth) and ${CNI_BRIDGE} down to it where larger`,
        ),
      );
    }
    plan.verification = `${NAME} rolled out; on every node ${backend.device} and ${MTU.stateFile}'s ${MTU.stateMtuKey} equal the measured overlay MTU and no ${CNI_BRIDGE} port is larger; from ${affected.join(', ')} a don't-fragment ping of that size through ${backend.device} reaches every peer`;
    plan.rollback = `put the recorded MTUs back on every node (${backend.device}, pods, ${CNI_BRIDGE}), patch ${NET_CONF} back, restart ${NAME} again`;
    plan.notes.push(
      `the MTU is measured at apply; the target is the smallest the path carries from ${affected.join(', ')}${cap !== undefined ? `, and at most ${cap} (the smallest underlay device MTU - ${VXLAN_OVERHEAD})` : ''}; below ${MIN_OVERLAY_MTU} the step stops without a change`,
      `running pods have their interfaces lowered in place (no restart); any that are missed keep their larger MTU and get ICMP 'fragmentation needed' at ${CNI.datapath.overlayDevice}, so TCP adapts, and pick the new MTU up when recreated`,
      'the MTU is set cluster-wide: every node sends across the short path, and one MTU per overlay keeps pod-to-pod traffic symmetric',
    );
    return planned(plan, params);
  },
  preconditions(plan) {
    const p = plan.params;
    return [
      {
        what: `DaemonSet ${p.daemonSet.namespace}/${p.daemonSet.name} exists`,
        async run(exec) {
          return (await exec.port.readObject('DaemonSet', p.daemonSet.namespace, p.daemonSet.name))
            ? { status: 'ok' }
            : { status: 'failed', reason: `it is gone: ${NAME} would not come back after the restart` };
        },
      },
      {
        what: `ConfigMap ${p.configMap.namespace}/${p.configMap.name} holds a vxlan ${NET_CONF}`,
        async run(exec) {
          const live = await readNetConf(exec, p);
          return live !== undefined && vxlanBackend(live)?.type === 'vxlan'
            ? { status: 'ok' }
            : { status: 'failed', reason: `no vxlan ${NET_CONF} there now: re-run diagnose` };
        },
      },
    ];
  },
  async apply(exec, plan) {
    const p = plan.params;
    const actions: AppliedAction[] = [];
    const overlay = await measure(exec, p, actions);
    const facts: Record<string, unknown> = { overlayMtu: overlay, underlayMtu: overlay + VXLAN_OVERHEAD };
    if (p.agreed === overlay)
      return {
        status: 'no-op',
        step: plan.step,
        reason: `the path carries ${overlay} bytes, the MTU every node already uses`,
        facts,
      };
    // runUndo goes last-first: listed so that the nodes are put back first, then the
    // ConfigMap, and flannel restarts last, rewriting subnet.env from the restored ConfigMap.
    let restartUndo: UndoAction | undefined;
    let cmUndo: UndoAction | undefined;
    const nodeUndo: UndoAction[] = [];
    const record = (): AppliedRecord => ({
      status: 'applied',
      step: plan.step,
      actions,
      undo: [restartUndo, cmUndo, ...nodeUndo].filter((u): u is UndoAction => u !== undefined),
      facts,
    });
    try {
      const old = await readNetConf(exec, p);
      const next = old === undefined ? undefined : withBackendMtu(old, overlay + VXLAN_OVERHEAD);
      if (old === undefined || next === undefined)
        throw new Error(`ConfigMap ${p.configMap.namespace}/${p.configMap.name} has no usable ${NET_CONF}`);
      await exec.port.patchObject(
        'ConfigMap',
        p.configMap.namespace,
        p.configMap.name,
        { data: { [NET_CONF]: next } },
        'merge',
      );
      cmUndo = {
        type: 'patch',
        kind: 'ConfigMap',
        namespace: p.configMap.namespace,
        name: p.configMap.name,
        patch: { data: { [NET_CONF]: old } },
        patchType: 'merge',
      };
      actions.push({
        target: `ConfigMap ${p.configMap.namespace}/${p.configMap.name}`,
        command: `patch ${NET_CONF} Backend.MTU=${overlay + VXLAN_OVERHEAD}`,
        before: old,
        after: next,
        result: 'patched',
      });
      const r = await applyRestart(exec, p.daemonSet, new Date());
      restartUndo = r.undo;
      actions.push(r.action);
      // Pods created before the new flanneld wrote subnet.env still get the old MTU: lower the
      // running pods only once every node runs the new flanneld.
      const rolled = await verifyRollout(exec, p.daemonSet);
      if (rolled.status !== 'verified')
        throw new Error(
          `${NAME} did not roll out: ${rolled.status === 'failed' ? rolled.reason : rolled.error}`,
        );
      for (const n of p.nodes) {
        const run = await exec.nodes.run(n.name, sh(setMtuScript(p.device, { kind: 'set', mtu: overlay })), {
          hostMount: false,
        });
        const change = parseSet(run.stdout);
        if (change.device || change.bridge || change.pods.length > 0) {
          const undo: NodeMtuChange = { device: change.device, bridge: change.bridge, pods: change.pods };
          nodeUndo.push({
            type: 'node',
            node: n.name,
            argv: sh(setMtuScript(p.device, { kind: 'restore', change: undo })),
            hostMount: false,
          });
        }
        actions.push({
          target: `node/${n.name}`,
          command: `set ${p.device}, ${CNI_BRIDGE} and pod interfaces to MTU ${overlay}`,
          before: describeChange(change),
          after: String(overlay),
          result: `exit ${run.exitCode}`,
        });
        if (run.exitCode !== 0 || change.errors.length > 0)
          throw new Error(
            `setting MTU ${overlay} on ${n.name} failed (exit ${run.exitCode}): ${change.errors.join('; ') || run.stdout.trim().slice(-300)}`,
          );
      }
    } catch (err) {
      // The executor rolls back only after a failed verification: a half-done apply is undone here.
      const rb = await runUndo(exec, record());
      throw new Error(
        `${errText(err)}; ${rb.status === 'failed' ? `ROLLBACK FAILED: ${rb.error}` : `undone: ${rb.detail}`}`,
      );
    }
    return record();
  },
  async verify(exec, record, plan) {
    const p = plan.params;
    const mtu = record.status === 'applied' ? (record.facts['overlayMtu'] as number) : undefined;
    if (mtu === undefined) return { status: 'error', error: 'the applied record carries no measured MTU' };
    const peersOf = new Map(p.measureFrom.map((m) => [m.node, m.peers]));
    return pollUntil(exec, async () => {
      const rolled = rolloutState(
        'DaemonSet',
        await exec.port.readObject('DaemonSet', p.daemonSet.namespace, p.daemonSet.name),
      );
      if (!rolled.ok) return { ok: false, reason: `${NAME}: ${rolled.reason}` };
      for (const n of p.nodes) {
        const run = await exec.nodes.run(n.name, sh(checkScript(p.device, mtu, peersOf.get(n.name) ?? [])), {
          hostMount: false,
        });
        const c = parseCheck(run.stdout);
        const bad = nodeProblem(c, p.device, mtu);
        if (bad) return { ok: false, reason: `${n.name}: ${bad}` };
      }
      return {
        ok: true,
        detail: `overlay MTU ${mtu} (path ${mtu + VXLAN_OVERHEAD}) on every node; don't-fragment pings of ${mtu} bytes from ${[...peersOf.keys()].join(', ')} reach every peer`,
      };
    });
  },
  rollback: runUndo,
};

async function readNetConf(exec: RepairExec, p: Params): Promise<string | undefined> {
  const cm = (await exec.port.readObject('ConfigMap', p.configMap.namespace, p.configMap.name)) as
    | { data?: Record<string, string> }
    | undefined;
  return cm?.data?.[NET_CONF];
}

/** Measures the path from each affected node; the overlay MTU every measured path carries. */
async function measure(exec: RepairExec, p: Params, actions: AppliedAction[]): Promise<number> {
  let overlay = p.deviceCap ?? Number.POSITIVE_INFINITY;
  for (const from of p.measureFrom) {
    const run = await exec.nodes.run(from.node, sh(measureScript(p.device, from.peers)), {
      hostMount: false,
    });
    const m = parseMeasure(run.stdout);
    if (m.error || run.exitCode !== 0)
      throw new Error(
        `measuring from ${from.node} failed: ${m.error ?? `exit ${run.exitCode}: ${run.stdout.trim()}`}`,
      );
    if (m.unreachable.length > 0)
      throw new Error(
        `from ${from.node}, ${m.unreachable.join(', ')} do not answer even small pings through ${p.device}: the path cannot be measured (nothing was changed)`,
      );
    const missing = from.peers.filter((x) => m.maxPayload[x] === undefined);
    if (missing.length > 0) throw new Error(`no measurement from ${from.node} to ${missing.join(', ')}`);
    const per = from.peers.map((x) => `${x}: ${(m.maxPayload[x] as number) + PING_OVERHEAD}`);
    for (const x of from.peers) overlay = Math.min(overlay, (m.maxPayload[x] as number) + PING_OVERHEAD);
    actions.push({
      target: `node/${from.node}`,
      command: `measure the overlay path (${p.device} mtu ${m.deviceMtu ?? '?'})`,
      result: `largest don't-fragment packet answered: ${per.join(', ')}`,
    });
  }
  if (!Number.isFinite(overlay) || overlay < MIN_OVERLAY_MTU)
    throw new Error(
      `the path carries only ${overlay} bytes through the overlay: below ${MIN_OVERLAY_MTU}, lowering the MTU is not a repair (nothing was changed)`,
    );
  return overlay;
}

function describeChange(c: NodeMtuChange): string {
  const parts = [
    ...(c.device ? [`${c.device.name} ${c.device.old}`] : []),
    ...(c.bridge ? [`${c.bridge.name} ${c.bridge.old}`] : []),
    ...(c.pods.length > 0
      ? [`${c.pods.length} pod(s): ${c.pods.map((x) => `${x.ip} ${x.podMtu}`).join(', ')}`]
      : []),
  ];
  return parts.join('; ') || 'already at the target';
}

/** What is still wrong on a node after the change, or undefined. */
function nodeProblem(c: ReturnType<typeof parseCheck>, device: string, mtu: number): string | undefined {
  if (c.error) return c.error;
  if (c.device !== mtu) return `${device} mtu ${c.device ?? '(unreadable)'}, want ${mtu}`;
  if (c.agentMtu !== mtu)
    return `${MTU.stateFile} ${MTU.stateMtuKey}=${c.agentMtu ?? '(unreadable)'}, want ${mtu}`;
  if (c.bridge !== undefined && c.bridge > mtu) return `${CNI_BRIDGE} mtu ${c.bridge}, above ${mtu}`;
  if (c.portsAbove !== 0) return `${c.portsAbove ?? '?'} ${CNI_BRIDGE} port(s) above mtu ${mtu}`;
  const failed = Object.entries(c.pings)
    .filter(([, ok]) => !ok)
    .map(([ip]) => ip);
  if (failed.length > 0) return `don't-fragment ping of ${mtu} bytes to ${failed.join(', ')} got no answer`;
  return undefined;
}
