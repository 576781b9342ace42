/**
 * Issue 5's proof that `fix --dry-run` changes nothing. On the live lab with ip_forward switched
 * off on ndlab-node2, it snapshots the cluster's objects (every kind netdoctor lists, by
 * resourceVersion) and every node's routes, links, addresses, iptables rules (legacy and nft
 * backends, and the nft ruleset) and net.* sysctls, read from each node's namespaces directly
 * (`nsenter -t <holder pid> -n -m`), runs `netdoctor fix --dry-run --non-interactive` through
 * the CLI without a bundle (so it diagnoses first: agent and probe pods come and go), snapshots
 * again and asserts equality. Skipped, with the reason, when the lab is not running; injects a
 * fault, so run the live suites one file at a time (`--test-concurrency=1`). Healed in `after`.
 *
 * What is left out of the comparison, and why:
 * - Events: records of what happened (the diagnosis's own pods being scheduled, pulled, started,
 *   killed; controllers' periodic notes), not state that a repair could change.
 * - Node resourceVersion, heartbeat and transition times: the kubelet rewrites node status on its
 *   own. A node's labels, annotations, taints, spec, addresses and condition statuses are compared.
 * - netdoctor's own objects (label app.kubernetes.io/managed-by=netdoctor) and the EndpointSlices
 *   of its probe Service: created and deleted by the diagnosis; the test asserts none remains.
 * - kube-router's chain and ipset names (KUBE-POD-FW-<hash>, KUBE-NWPLCY-<hash>): the hash
 *   changes on every sync (see `renamed`); the rules are compared.
 * - Counters: `[packets:bytes]` in iptables-save, `counter packets N bytes M` in nft, and
 *   net.netfilter.nf_conntrack_count; and iptables-save's `#` comment lines (timestamps).
 * - Address lifetimes (valid_life_time, preferred_life_time) count down by themselves.
 * - Per-interface sysctls and links of pod veths that exist only while a pod does: the after
 *   snapshot is polled until the diagnosis's pods are gone and the node state has converged
 *   (kube-proxy removes the probe Service's rules asynchronously), for at most 120 s.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
  cli,
  kubectl,
  LAB_IMAGE,
  type LabInfo,
  labArgs,
  labFault,
  labOrSkipReason,
  onNode,
  ownedPods,
} from './live-lab.ts';

const status = labOrSkipReason();
const skip = 'skip' in status ? status.skip : false;
const lab = ('lab' in status ? status.lab : undefined) as LabInfo;
const NS = `ndt-dryrun-live-${process.pid}`;
const BROKEN = 'ndlab-node2';
const work = mkdtempSync(join(tmpdir(), 'ndt-dryrun-'));

const KINDS = [
  'nodes',
  'namespaces',
  'pods',
  'services',
  'endpointslices',
  'daemonsets',
  'deployments',
  'configmaps',
  'networkpolicies',
] as const;

interface Meta {
  name: string;
  namespace?: string;
  resourceVersion?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}
interface Obj {
  metadata: Meta;
  spec?: unknown;
  status?: { conditions?: { type: string; status: string }[]; addresses?: unknown };
}

const owned = (o: Obj) =>
  o.metadata.labels?.['app.kubernetes.io/managed-by'] === 'netdoctor' ||
  (o.metadata.labels?.['kubernetes.io/service-name'] ?? '').startsWith('netdoctor-probe-');

function clusterSnapshot(): { objects: Record<string, unknown>; owned: string[] } {
  const objects: Record<string, unknown> = {};
  const mine: string[] = [];
  for (const kind of KINDS) {
    const r = kubectl(lab, ['get', kind, '-A', '-o', 'json']);
    assert.ok(r.ok, r.err);
    for (const o of (JSON.parse(r.out) as { items: Obj[] }).items) {
      const key = `${kind}/${o.metadata.namespace ?? ''}/${o.metadata.name}`;
      if (owned(o)) {
        mine.push(key);
        continue;
      }
      objects[key] =
        kind === 'nodes'
          ? {
              labels: o.metadata.labels,
              annotations: o.metadata.annotations,
              spec: o.spec,
              addresses: o.status?.addresses,
              conditions: (o.status?.conditions ?? []).map((c) => `${c.type}=${c.status}`).sort(),
            }
          : o.metadata.resourceVersion;
    }
  }
  return { objects, owned: mine };
}

/**
 * kube-router (v1.x) names its per-pod and per-policy chains and ipsets with a hash that includes
 * the sync's timestamp, so every full sync (each pod added or deleted, and every 5 minutes)
 * renames them with the same rules inside. The hash is replaced by a placeholder and the lines
 * are compared as a sorted list (the renames reorder chains); the rules themselves still count.
 */
function renamed(text: string): string {
  return text
    .replace(/KUBE-(POD-FW|NWPLCY|SRC|DST)-[A-Z0-9]{16}/g, 'KUBE-$1-<sync>')
    .split('\n')
    .sort()
    .join('\n');
}

const stripLife = (items: Record<string, unknown>[]) =>
  items.map((l) => ({
    ...l,
    addr_info: ((l['addr_info'] as Record<string, unknown>[] | undefined) ?? []).map(
      ({ valid_life_time: _v, preferred_life_time: _p, ...rest }) => rest,
    ),
  }));

function nodeSnapshot(pid: number): Record<string, unknown> {
  const ipt = (save: string) =>
    renamed(
      onNode(pid, `${save} 2>/dev/null || true`)
        .split('\n')
        .filter((l) => !l.startsWith('#'))
        .map((l) => l.replace(/\[\d+:\d+\]/g, '[]'))
        .join('\n'),
    );
  return {
    routes: JSON.parse(onNode(pid, 'ip -j route show table all')) as unknown,
    routes6: JSON.parse(onNode(pid, 'ip -j -6 route show table all')) as unknown,
    links: JSON.parse(onNode(pid, 'ip -j link show')) as unknown,
    addresses: stripLife(JSON.parse(onNode(pid, 'ip -j addr show')) as Record<string, unknown>[]),
    iptablesLegacy: ipt('iptables-legacy-save'),
    iptablesNft: ipt('iptables-nft-save'),
    ip6tablesLegacy: ipt('ip6tables-legacy-save'),
    ip6tablesNft: ipt('ip6tables-nft-save'),
    nftRuleset: renamed(onNode(pid, 'nft list ruleset').replace(/counter packets \d+ bytes \d+/g, 'counter')),
    sysctls: onNode(pid, 'sysctl -a 2>/dev/null || true')
      .split('\n')
      .filter((l) => l.startsWith('net.') && !l.startsWith('net.netfilter.nf_conntrack_count'))
      .sort()
      .join('\n'),
  };
}

function snapshot(): { cluster: Record<string, unknown>; owned: string[]; nodes: Record<string, unknown> } {
  const c = clusterSnapshot();
  const nodes: Record<string, unknown> = {};
  for (const n of lab.nodes) nodes[n.name] = nodeSnapshot(n.holderPid);
  return { cluster: c.objects, owned: c.owned, nodes };
}

/** The keys whose values differ, for a readable failure. */
function differences(a: Record<string, unknown>, b: Record<string, unknown>, prefix = ''): string[] {
  const out: string[] = [];
  for (const k of new Set([...Object.keys(a), ...Object.keys(b)])) {
    const x = JSON.stringify(a[k]);
    const y = JSON.stringify(b[k]);
    if (x === y) continue;
    const av = a[k];
    const bv = b[k];
    if (av && bv && typeof av === 'object' && typeof bv === 'object' && !Array.isArray(av))
      out.push(
        ...differences(av as Record<string, unknown>, bv as Record<string, unknown>, `${prefix}${k}.`),
      );
    else if (typeof av === 'string' && typeof bv === 'string') {
      const al = new Set(av.split('\n'));
      const bl = new Set(bv.split('\n'));
      const gone = [...al].filter((l) => !bl.has(l)).map((l) => `- ${l}`);
      const added = [...bl].filter((l) => !al.has(l)).map((l) => `+ ${l}`);
      out.push(
        `${prefix}${k}:\n  ${[...gone, ...added].slice(0, 40).join('\n  ') || '(same lines, other order)'}`,
      );
    } else out.push(`${prefix}${k}: ${(x ?? 'absent').slice(0, 300)} -> ${(y ?? 'absent').slice(0, 300)}`);
  }
  return out;
}

async function settled(reference?: ReturnType<typeof snapshot>, timeoutMs = 120_000) {
  const end = Date.now() + timeoutMs;
  let prev = snapshot();
  for (;;) {
    await new Promise((r) => setTimeout(r, 3000));
    const cur = snapshot();
    const target = reference ?? prev;
    const same =
      cur.owned.length === 0 && differences({ ...target, owned: [] }, { ...cur, owned: [] }).length === 0;
    if (same || Date.now() > end) return cur;
    prev = cur;
  }
}

describe('fix --dry-run changes nothing (live lab)', { skip, concurrency: false, timeout: 900_000 }, () => {
  before(() => {
    const r = kubectl(lab, ['create', 'namespace', NS]);
    assert.ok(r.ok, r.err);
  });
  after(() => {
    try {
      labFault(['heal']);
    } finally {
      kubectl(lab, ['delete', 'namespace', NS, '--wait=false', '--ignore-not-found']);
      rmSync(work, { recursive: true, force: true });
    }
  });

  const fixArgs = (extra: string[]) => [
    'fix',
    '--dry-run',
    '--non-interactive',
    '--kubeconfig',
    lab.kubeconfig,
    '--toolbox-image',
    LAB_IMAGE,
    '--agent-namespace',
    NS,
    ...extra,
  ];

  async function dryRunChangesNothing(t: { diagnostic(m: string): void }, extra: string[]): Promise<void> {
    const beforeSnap = await settled(undefined, 30_000);
    assert.deepEqual(beforeSnap.owned, [], 'no netdoctor object before the run');
    const broken = lab.nodes.find((n) => n.name === BROKEN);
    assert.ok(broken);
    assert.match(onNode(broken.holderPid, 'sysctl -n net.ipv4.ip_forward'), /^0/);
    const r = cli(fixArgs(extra), 300_000);
    assert.equal(r.code, 0, `${r.stdout}\n${r.stderr}`);
    assert.match(r.stdout, /enable-ip-forward/, 'the plan names the repair it would make');
    assert.match(r.stdout, /dry run: nothing was changed/);
    t.diagnostic(r.stdout.split('\n').slice(0, 6).join('\n'));
    const afterSnap = await settled(beforeSnap);
    assert.deepEqual(afterSnap.owned, [], 'the diagnosis removed its agent and probe objects');
    assert.deepEqual(differences(beforeSnap, afterSnap), [], 'nothing changed');
    assert.match(onNode(broken.holderPid, 'sysctl -n net.ipv4.ip_forward'), /^0/, 'the fault is still there');
    assert.deepEqual(
      ownedPods(lab).filter((p) => p.startsWith(`${NS}/`)),
      [],
    );
  }

  it(`from a bundle, with ip_forward off on ${BROKEN}: objects, routes, links, rules and sysctls unchanged`, async (t) => {
    labFault(['break', 'ip-forward-disabled', '--node', BROKEN]);
    // The bundle comes from a diagnosis without probe pods (agents are hostNetwork: no CNI ADD).
    const bundle = join(work, 'bundle');
    const d = cli(['diagnose', '--no-probes', ...labArgs(lab, NS), '--out', bundle], 300_000);
    assert.ok(d.code === 0 || d.code === 1, d.stderr);
    await dryRunChangesNothing(t, ['--bundle', bundle]);
  });

  // The CNI bridge plugin (isGateway) turns forwarding on at every pod ADD, so a probe pod on
  // the broken node would heal ip-forward-disabled: diagnose places none there.
  it('without a bundle (fresh diagnosis with probes first): unchanged as well', async (t) => {
    labFault(['heal']);
    labFault(['break', 'ip-forward-disabled', '--node', BROKEN]);
    await dryRunChangesNothing(t, ['--out', join(work, 'fresh')]);
  });
});
