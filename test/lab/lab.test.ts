/**
 * The lab against itself, and netdoctor against the lab: a real cluster comes up healthy, a
 * NetworkPolicy is enforced, and for every fault of the catalog the whole loop holds:
 * `break` shows its symptom with plain kubectl/exec (so the fault is real, independent of
 * netdoctor), `diagnose` ranks the catalog's root cause first, `netdoctor fix --non-interactive`
 * repairs it and its closing validation passes, and a fresh `diagnose` finds the cluster healthy.
 * `heal` then runs as a safety net and the plain checks confirm the lab is whole for the next
 * fault. Expensive (minutes): runs only with NETDOCTOR_LAB=1, as root. Teardown always runs, also
 * on SIGINT/SIGTERM; NETDOCTOR_LAB_KEEP=1 leaves the lab up for a look.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { resolve } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { DEMO_NAMESPACE } from '../../src/lab/addons/demo.ts';
import { labDown } from '../../src/lab/down.ts';
import { labStatus } from '../../src/lab/status.ts';
import { NET } from '../../src/lab/topology.ts';
import { labUp } from '../../src/lab/up.ts';
import { loadVersions } from '../../src/lab/versions.ts';
import {
  diagnoseLab,
  type FaultSpec,
  podOn,
  rootCauseList,
  runFaultLoop,
  setHealthyBundle,
  timings,
  work,
} from './fault-loop.ts';
import { eventually, hasAddress, healthyFailures, kc, paths, probes, webEndpoints } from './lab-checks.ts';

const enabled = process.env['NETDOCTOR_LAB'] === '1';
const keep = process.env['NETDOCTOR_LAB_KEEP'] === '1';

async function teardown(): Promise<void> {
  if (keep) return;
  await labDown(paths);
}

/** CoreDNS's pods, by node (for forcing them onto a fault's node). */
function corednsNodes(): string[] {
  return kc([
    '-n',
    'kube-system',
    'get',
    'pods',
    '-l',
    'k8s-app=kube-dns',
    '-o',
    'jsonpath={.items[*].spec.nodeName}',
  ])
    .out.trim()
    .split(/\s+/)
    .filter(Boolean);
}

/** Pins CoreDNS to one node (`undefined`: lets it go anywhere again) and waits for the rollout. */
function pinCoreDns(node: string | undefined): void {
  const patch = {
    spec: { template: { spec: { nodeSelector: node ? { 'kubernetes.io/hostname': node } : null } } },
  };
  const r = kc([
    '-n',
    'kube-system',
    'patch',
    'deployment',
    'coredns',
    '--type=strategic',
    '-p',
    JSON.stringify(patch),
  ]);
  assert.ok(r.ok, r.out);
  const s = kc(['-n', 'kube-system', 'rollout', 'status', 'deployment/coredns', '--timeout=120s'], 130_000);
  assert.ok(s.ok, s.out);
}

/** Per fault of the catalog: its symptom and arrangement (see {@link FaultSpec}). */
const SYMPTOMS: Record<string, FaultSpec> = {
  'flannel-agent-stalled': {
    node: 'ndlab-node2',
    symptom: () => {
      const flannelRunning = kc(['-n', 'kube-flannel', 'get', 'pods', '-o', 'wide']).out.includes('Running');
      return flannelRunning && !probes.ping(podOn('ndlab-node2'), podOn('ndlab-node3').ip).ok;
    },
  },
  'flannel-daemonset-deleted': {
    symptom: () => !kc(['-n', 'kube-flannel', 'get', 'daemonset', 'kube-flannel-ds']).ok,
  },
  'cni-bridge-wrong-address': {
    node: 'ndlab-node2',
    symptom: () => !probes.ping(podOn('ndlab-node2'), podOn('ndlab-node3').ip).ok,
    // CoreDNS on the broken node: its pods lose their connections with the bridge, and the
    // repair must bring them back (recreating them), or validation fails.
    arrange: {
      before: async () => {
        pinCoreDns('ndlab-node2');
        // The rollout is done once the new pods are ready; the old ones may take a moment to go.
        await eventually(
          'CoreDNS only on ndlab-node2',
          () => corednsNodes().every((n) => n === 'ndlab-node2'),
          60_000,
        );
      },
      after: () => pinCoreDns(undefined),
    },
  },
  'kube-proxy-crashloop': {
    symptom: () =>
      /CrashLoopBackOff|Error/.test(kc(['-n', 'kube-system', 'get', 'pods', '-l', 'k8s-app=kube-proxy']).out),
    settleMs: 90_000,
  },
  'coredns-upstream-unreachable': {
    symptom: () => {
      const p = podOn('ndlab-node2');
      return (
        !hasAddress(probes.dnsUdp(p, NET.outsideWebName).out) &&
        hasAddress(probes.dnsUdp(p, 'kubernetes.default').out)
      );
    },
  },
  'ip-forward-disabled': {
    node: 'ndlab-node2',
    symptom: () => !probes.ping(podOn('ndlab-node2'), podOn('ndlab-node3').ip).ok,
  },
  'masquerade-removed': {
    node: 'ndlab-node2',
    symptom: () =>
      !probes.http(podOn('ndlab-node2'), `http://${NET.outsideWeb}/`).ok &&
      probes.http(podOn('ndlab-node3'), `http://${NET.outsideWeb}/`).ok,
  },
  'vxlan-port-blocked': {
    node: 'ndlab-node2',
    symptom: () =>
      !probes.ping(podOn('ndlab-node2'), podOn('ndlab-node3').ip).ok &&
      probes.ping(podOn('ndlab-node2'), podOn('ndlab-node1').ip).ok,
  },
  'dns-egress-blocked-by-policy': {
    symptom: () => !hasAddress(probes.dnsUdp(podOn('ndlab-node2'), 'kubernetes.default').out),
  },
  'service-selector-typo': {
    symptom: () =>
      webEndpoints() === '' && !probes.http(podOn('ndlab-node2'), `http://web.${DEMO_NAMESPACE}/`).ok,
  },
  'iptables-backend-mixed': {
    node: 'ndlab-node2',
    symptom: () => !probes.ping(podOn('ndlab-node2'), podOn('ndlab-node3').ip).ok,
  },
  // Last: its repair lowers the cluster's overlay MTU for good (the fault's heal only mends the
  // switch), and every later fault should start from the lab as built.
  'overlay-mtu-mismatch': {
    node: 'ndlab-node2',
    symptom: () => {
      const from = podOn('ndlab-node2');
      const to = podOn('ndlab-node3').ip;
      return probes.ping(from, to).ok && !probes.ping(from, to, 1400).ok;
    },
  },
};

describe('lab (real cluster)', {
  skip: enabled ? false : 'set NETDOCTOR_LAB=1 (as root) to run against the real lab',
}, () => {
  before(
    async () => {
      for (const sig of ['SIGINT', 'SIGTERM'] as const) {
        process.once(sig, () => {
          void teardown().finally(() => process.exit(130));
        });
      }
      if (labStatus(paths).state !== 'up') {
        const r = await labUp(paths, loadVersions(), {
          nodes: 3,
          timeoutSeconds: 420,
          log: (m) => process.stderr.write(`lab: ${m}\n`),
        });
        process.stderr.write(`lab up took ${r.seconds.toFixed(1)}s\n`);
      }
    },
    { timeout: 1_800_000 },
  );
  after(
    async () => {
      if (timings.length > 0) process.stderr.write(`fault loop timings (s):\n${timings.join('\n')}\n`);
      rmSync(work, { recursive: true, force: true });
      await teardown();
    },
    { timeout: 180_000 },
  );

  it('status -o json names every node with its namespace, IP and pod CIDR', () => {
    const s = labStatus(paths);
    assert.ok(s.state !== 'down');
    assert.equal(s.nodes.length, 3);
    for (const n of s.nodes) {
      assert.match(n.nodeIp, /^10\.213\.0\.\d+$/);
      assert.match(n.podCidr ?? '', /^10\.244\.\d+\.0\/24$/);
    }
    assert.deepEqual(
      s.nodes.map((n) => n.role),
      ['control-plane', 'worker', 'worker'],
    );
  });

  it('is healthy: pods Running, pod-to-pod, DNS UDP+TCP, ClusterIP, NodePort, egress', {
    timeout: 300_000,
  }, () => {
    assert.deepEqual(healthyFailures(), []);
  });

  it('enforces NetworkPolicy (kube-router): a deny-all ingress blocks, its removal restores; lab check names the blocked pairs', {
    timeout: 240_000,
  }, async () => {
    const target = podOn('ndlab-node3');
    const from = podOn('ndlab-node2');
    const policy = `apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: lab-test-deny-toolbox, namespace: ${DEMO_NAMESPACE}}
spec:
  podSelector: {matchLabels: {app: toolbox}}
  policyTypes: [Ingress]
`;
    const applied = kc(['apply', '-f', '-'], 30_000, policy);
    assert.ok(applied.ok, applied.out);
    try {
      await eventually('the policy to drop TCP', () => !probes.tcp(from, target.ip).ok, 60_000);
      // The lab's own data-plane check sees the same block: exit 1, each blocked pair named.
      const check = spawnSync(
        process.execPath,
        [resolve(import.meta.dirname, '../../src/cli/main.ts'), 'lab', 'check'],
        {
          encoding: 'utf8',
          timeout: 180_000,
        },
      );
      assert.equal(check.status, 1, `${check.stdout}${check.stderr}`);
      assert.match(check.stdout, new RegExp(`tcp ${from.node} -> ${target.node}`), check.stdout);
      assert.doesNotMatch(check.stdout, /dns\/udp kubernetes\.default/, check.stdout);
    } finally {
      kc(['-n', DEMO_NAMESPACE, 'delete', 'networkpolicy', 'lab-test-deny-toolbox', '--ignore-not-found']);
    }
    await eventually('TCP to come back', () => probes.tcp(from, target.ip).ok, 60_000);
  });

  it('diagnose finds the healthy lab healthy (its bundle is the earlier backup fix may use)', {
    timeout: 300_000,
  }, async () => {
    const { report, bundleDir } = await diagnoseLab('healthy');
    assert.equal(report.verdict, 'healthy', `root causes: ${rootCauseList(report)}`);
    setHealthyBundle(bundleDir);
  });

  for (const [fault, spec] of Object.entries(SYMPTOMS)) {
    // Capped: a fault whose loop fails should fail in minutes, not take the suite with it.
    it(`fault ${fault}: break, diagnose, fix, validate, healthy again`, { timeout: 360_000 }, () =>
      runFaultLoop(fault, spec),
    );
  }
});
