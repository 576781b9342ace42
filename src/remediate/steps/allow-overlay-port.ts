/**
 * Seed 000 system step: a host firewall rule dropping the overlay's UDP port cuts a node off
 * from its peers. The rules that do it (the ones overlay-port-blocked reports, with the same
 * test) are deleted on the node named by the diagnosis, each recorded with its position so that
 * rollback puts it back exactly there; verify re-reads the rules and pings a peer's VXLAN
 * address, which only answers through the overlay.
 */

import { overlayPorts, parseSpec } from '../../analyze/rules/support/datapath.ts';
import { nodeInternalIp4, nodePodCidr4 } from '../../analyze/snapshot-index.ts';
import { type CniAdapter, declaredAgentConfig, VTEP_PINGABLE } from '../../cni/index.ts';
import { nftBlocks, tableBlocks } from '../../cni/overlay-port-filter.ts';
import { VXLAN_PORTS } from '../../cni/vxlan.ts';
import type { IptablesDump, NodeDatapath } from '../../core/datapath-types.ts';
import type { Snapshot } from '../../core/model.ts';
import { cidrContains } from '../../core/net/cidr.ts';
import { formatIPv4, parseCidr4 } from '../../core/net/ipv4.ts';
import {
  BACKEND_KEY,
  BACKENDS,
  type Backend,
  deleteScript,
  describeRule,
  positionsIn,
  type RuleRef,
  readableRulesChecks,
  readRules,
  readRulesScript,
  removeRules,
} from '../iptables-node.ts';
import type { RepairStep } from '../step.ts';
import { basePlan, causeNodes, nodeCommand, planned, pollUntil, runUndo, sh } from '../step-kit.ts';

/** What apply needs: per node, the rules that drop the overlay port. */
type Params = { targets: Target[] };

/** A peer whose VXLAN device address answers only through the overlay. */
interface Peer {
  node: string;
  /** The peer's overlay device address (flannel.1's): the `.0` of its pod subnet. */
  vtep: string;
}

/** What the step does on one node. */
interface Target {
  node: string;
  /** Backends read at apply and verify time. */
  backends: Backend[];
  ports: number[];
  /** Every node's InternalIP: a rule matters when it can match traffic between nodes. */
  nodeIps: string[];
  /** The blocking rules the snapshot shows (apply deletes what it finds then). */
  expected: RuleRef[];
  peers: Peer[];
  /** The overlay device the peers' addresses sit on (flannel.1). */
  vtepDevice?: string;
}

/** The rules in a dump that drop the overlay port, as RuleRefs with their positions. */
export function blockingRules(
  node: string,
  backend: Backend,
  dump: IptablesDump,
  ports: number[],
  nodeIps: string[],
): RuleRef[] {
  const out: RuleRef[] = [];
  for (const t of Object.values(dump.tables)) {
    const blocks = tableBlocks(t, ports, nodeIps);
    for (const p of positionsIn(t, blocks)) out.push({ node, backend, table: t.name, ...p });
  }
  return out;
}

function allNodeIps(snapshot: Snapshot): string[] {
  return snapshot.cluster.nodes.map(nodeInternalIp4).filter((ip): ip is string => ip !== undefined);
}

/** The other nodes whose address a rule's `-s`/`-d` names (not negated). */
function peersNamed(snapshot: Snapshot, self: string, rules: RuleRef[]): string[] {
  const out = new Set<string>();
  for (const r of rules) {
    const f = parseSpec(r.spec);
    const addrs = [f.sourceNeg ? undefined : f.source, f.destinationNeg ? undefined : f.destination];
    for (const a of addrs) {
      if (!a) continue;
      for (const n of snapshot.cluster.nodes) {
        const ip = nodeInternalIp4(n);
        if (n.metadata.name !== self && ip && cidrContains(a.includes('/') ? a : `${a}/32`, ip))
          out.add(n.metadata.name);
      }
    }
  }
  return [...out].sort();
}

/**
 * Peers to ping after the change, only on a flannel VXLAN node (its peers' flannel.1 carry the
 * `.0` of their pod subnets): those the deleted rules named, else up to three others.
 */
function vtepCni(snapshot: Snapshot, dp: NodeDatapath | undefined): CniAdapter | undefined {
  return VTEP_PINGABLE.find((a) =>
    dp?.links
      ? dp.links.some((l) => l.ifname === a.datapath.overlayDevice)
      : snapshot.cluster.daemonSets.some((d) => a.agent.daemonSetNames.test(d.metadata.name)),
  );
}

function pingPeers(snapshot: Snapshot, node: string, dp: NodeDatapath | undefined, named: string[]): Peer[] {
  if (!vtepCni(snapshot, dp)) return [];
  const others = snapshot.cluster.nodes.map((n) => n.metadata.name).filter((n) => n !== node);
  const chosen = named.length > 0 ? named : others.slice(0, 3);
  const out: Peer[] = [];
  for (const p of chosen) {
    const n = snapshot.cluster.nodes.find((x) => x.metadata.name === p);
    const cidr = n ? nodePodCidr4(n) : undefined;
    const net = cidr ? parseCidr4(cidr) : undefined;
    if (net) out.push({ node: p, vtep: formatIPv4(net.base) });
  }
  return out;
}

function portsFor(snapshot: Snapshot, dp: NodeDatapath | undefined): number[] {
  const conf = declaredAgentConfig(snapshot).port;
  const seen = dp ? overlayPorts(dp) : [];
  const ports = [...new Set([...seen, ...(conf ? [conf] : [])])];
  return ports.length > 0 ? ports.sort((a, b) => a - b) : [...VXLAN_PORTS];
}

const pingScript = (ip: string) => `ping -c 3 -W 2 ${ip}`;

export const allowOverlayPort: RepairStep<Params> = {
  id: 'allow-overlay-port',
  title: 'Allow the overlay UDP port between nodes (delete the dropping firewall rules)',
  phase: 'system',
  order: 14,
  handles: ['overlay.port-blocked'],
  plan(input) {
    const nodes = causeNodes(input.causes);
    if (nodes.length === 0) return { status: 'nothing-to-do', reason: 'no node named by the root causes' };
    const plan = basePlan(allowOverlayPort, input);
    const nodeIps = allNodeIps(input.snapshot);
    const targets: Target[] = [];
    for (const n of nodes) {
      const dp = input.snapshot.nodes[n];
      const ports = portsFor(input.snapshot, dp);
      const native = dp ? nftBlocks(dp, ports, nodeIps) : [];
      if (native.length > 0) {
        const seen = `${native[0]!.where}: ${native[0]!.text}`;
        return {
          status: 'refused',
          reason: dp?.iptablesNft
            ? `on ${n} an nft rule outside the iptables tables drops the overlay port (${seen}); netdoctor edits only iptables rules`
            : `on ${n} a rule dropping the overlay port shows only in the nft ruleset (${seen}), with no iptables dump to say whether iptables owns it; netdoctor edits only iptables rules`,
          manualCommands: [
            `# on ${n}: nft -a list ruleset | grep -E 'dport.*(${ports.join('|')})'`,
            '# then: nft delete rule <family> <table> <chain> handle <handle>',
          ],
        };
      }
      const dumps = BACKENDS.flatMap((b) => {
        const d = dp?.[BACKEND_KEY[b]];
        return d ? [{ b, d }] : [];
      });
      const expected = dumps.flatMap(({ b, d }) => blockingRules(n, b, d, ports, nodeIps));
      // Without the node's rules in the snapshot, or when they show no block any more, both
      // backends are read at apply time.
      const backends =
        expected.length > 0 ? BACKENDS.filter((b) => expected.some((r) => r.backend === b)) : [...BACKENDS];
      const peers = pingPeers(input.snapshot, n, dp, peersNamed(input.snapshot, n, expected));
      const vtepDevice = vtepCni(input.snapshot, dp)?.datapath.overlayDevice;
      targets.push({
        node: n,
        backends,
        ports,
        nodeIps,
        expected,
        peers,
        ...(vtepDevice ? { vtepDevice } : {}),
      });
      for (const b of backends)
        plan.nodeCommands.push(
          nodeCommand(
            n,
            readRulesScript(b),
            expected.length > 0
              ? `list iptables-${b} rules: the rules below are found again there by what they say, and only they are deleted`
              : `list iptables-${b} rules; the ones dropping UDP ${ports.join('/')} between nodes are deleted as found then (the diagnosis has no rules of this node)`,
          ),
        );
      for (const r of expected)
        plan.nodeCommands.push(
          nodeCommand(n, deleteScript(r), `expected from the diagnosis: ${describeRule(r)}`),
        );
    }
    const params: Params = { targets };
    const pinged = targets.flatMap((t) =>
      t.peers.map((p) => `${t.node} -> ${p.node}'s ${t.vtepDevice} ${p.vtep}`),
    );
    plan.verification =
      `re-read the rules on ${nodes.join(', ')}: no rule drops UDP ${[...new Set(targets.flatMap((t) => t.ports))].join('/')} between nodes` +
      (pinged.length > 0 ? `; ping through the overlay: ${pinged.join(', ')}` : '');
    plan.rollback =
      'put each deleted rule back in front of the rule that followed it, found again when rolling back, up to the number of copies there were';
    plan.notes.push(
      'each rule is deleted by what it says (table, chain, spec), never by a position read earlier, and only once a re-read a moment later shows it gone: a controller that restores whole tables may put it back, and then it is deleted again (a few rounds at most)',
      'only the rules listed here are deleted; a rule dropping the overlay port that appears after the diagnosis is left alone, reported, and fails verification',
      'whatever wrote these rules (a firewall service, a provisioning script) may write them again: allow the port there too',
    );
    return planned(plan, params);
  },
  preconditions(plan) {
    return readableRulesChecks(plan.params.targets, 'rules');
  },
  async apply(exec, plan) {
    // Every node is read before the first deletion, so a read that fails changes nothing.
    const found: RuleRef[] = [];
    const unplanned: string[] = [];
    const gone: string[] = [];
    const key = (r: RuleRef) => `${r.node} ${r.backend} ${r.table} ${r.chain} ${r.spec}`;
    for (const t of plan.params.targets) {
      const here: RuleRef[] = [];
      for (const b of t.backends)
        here.push(...blockingRules(t.node, b, await readRules(exec, t.node, b), t.ports, t.nodeIps));
      // Only the rules the plan named are deleted; a blocking rule the diagnosis did not see is
      // someone's newer change: it is reported, and verification then fails on it. (With no
      // dump in the diagnosis, the plan named its test instead of rules.)
      const planned =
        t.expected.length > 0 ? here.filter((r) => t.expected.some((e) => key(e) === key(r))) : here;
      for (const r of here) if (!planned.includes(r)) unplanned.push(describeRule(r));
      for (const e of t.expected) if (!here.some((r) => key(e) === key(r))) gone.push(describeRule(e));
      found.push(...planned);
    }
    const facts = { unplanned, alreadyGone: gone };
    if (found.length === 0)
      return {
        status: 'no-op',
        step: plan.step,
        reason: 'no rule the plan named drops the overlay port any more',
        facts,
      };
    const r = await removeRules(exec, found, 'drops the overlay port');
    return {
      status: 'applied',
      step: plan.step,
      actions: r.actions,
      undo: r.undo,
      facts: { ...facts, removed: r.removed, reverted: r.reverted, addedByOthers: r.addedByOthers },
    };
  },
  async verify(exec, _record, plan) {
    const targets = plan.params.targets;
    return pollUntil(exec, async () => {
      const reached: string[] = [];
      const unchecked: string[] = [];
      for (const t of targets) {
        for (const b of t.backends) {
          const left = blockingRules(t.node, b, await readRules(exec, t.node, b), t.ports, t.nodeIps);
          if (left.length > 0)
            return {
              ok: false,
              reason: `still dropping the overlay port: ${left.map(describeRule).join('; ')}`,
            };
        }
        for (const p of t.peers) {
          const r = await exec.nodes.run(t.node, sh(pingScript(p.vtep)), { hostMount: false });
          if (r.exitCode === 127) unchecked.push(`${t.node}: no ping in the node-command image`);
          else if (r.exitCode !== 0)
            return {
              ok: false,
              reason: `${t.node} gets no reply from ${p.node}'s ${t.vtepDevice} (${p.vtep}) through the overlay`,
            };
          else reached.push(`${t.node} -> ${p.node}`);
        }
      }
      return {
        ok: true,
        detail: [
          'no rule drops the overlay port',
          ...(reached.length > 0 ? [`overlay answers ${reached.join(', ')}`] : []),
          ...(unchecked.length > 0 ? [`reachability not checked (${unchecked.join('; ')})`] : []),
        ].join('; '),
      };
    });
  },
  rollback: runUndo,
};
