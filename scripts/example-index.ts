/**
 * Writes examples/index.json for bundles recorded from the lab (scripts/record-examples.sh):
 * for each fault of the catalog, the root cause PRODUCT.md says netdoctor must name, on the
 * subject the fault hits. The expectations come from the fault catalog, never from the
 * recorded reports, so the example tests check the analysis instead of restating it.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { ExampleEntry } from '../src/examples/catalog.ts';
import { listFaults } from '../src/lab/fault-runner.ts';

/** Where each fault comes from (PRODUCT.md's fault catalog). */
const SEED: Record<string, string> = {
  'flannel-agent-stalled': '004',
  'flannel-daemonset-deleted': '001',
  'cni-bridge-wrong-address': '002',
  'kube-proxy-crashloop': '001',
  'coredns-upstream-unreachable': '001',
  'ip-forward-disabled': '001',
  'masquerade-removed': '000',
  'vxlan-port-blocked': '000',
  'overlay-mtu-mismatch': '000',
  'dns-egress-blocked-by-policy': '003',
  'service-selector-typo': '004',
  'iptables-backend-mixed': '001',
};

/** The node the lab's tests break node-scoped faults on (test/lab/lab.test.ts). */
const BROKEN_NODE = 'ndlab-node2';

/** Subjects of the cluster-scoped faults, as the lab injects them (src/lab/faults). */
const CLUSTER_SUBJECT: Record<string, ExampleEntry['expected'][number]['subject']> = {
  'flannel-daemonset-deleted': { kind: 'DaemonSet', name: 'kube-flannel-ds' },
  'kube-proxy-crashloop': { kind: 'Node', name: BROKEN_NODE },
  'coredns-upstream-unreachable': { kind: 'ConfigMap', name: 'coredns' },
  'service-selector-typo': { kind: 'Service', name: 'web' },
};

/** Faults that break more than one subject: kube-proxy crash-loops on both workers. */
const MORE_SUBJECTS: Record<string, NonNullable<ExampleEntry['expected'][number]['subject']>[]> = {
  'kube-proxy-crashloop': [{ kind: 'Node', name: 'ndlab-node3' }],
};

const dir = process.argv[2];
if (!dir) throw new Error('usage: node scripts/example-index.ts <recorded-examples-dir>');
const entries: ExampleEntry[] = [
  { id: 'healthy', title: 'Healthy three-node flannel lab cluster', seed: null, fault: 'none', expected: [] },
];
for (const f of listFaults()) {
  if (!existsSync(join(dir, f.id))) continue;
  const category = f.expectedRootCause as ExampleEntry['expected'][number]['category'];
  const subject = f.scope === 'node' ? { kind: 'Node' as const, name: BROKEN_NODE } : CLUSTER_SUBJECT[f.id];
  entries.push({
    id: f.id,
    title: f.summary,
    seed: SEED[f.id] ?? null,
    fault: f.summary,
    // A cluster-scoped fault without a fixed subject (the policy one names the namespace or the
    // policy, depending on how many policies isolate it) is checked by category alone.
    expected: subject
      ? [{ category, subject }, ...(MORE_SUBJECTS[f.id] ?? []).map((s) => ({ category, subject: s }))]
      : [{ category }],
  });
}
process.stdout.write(`${JSON.stringify(entries, null, 2)}\n`);
