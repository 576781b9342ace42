/**
 * NetworkPolicy engine benchmark: index build, explain latency (p50/p99 over 1,000 random
 * queries), the lints, and peak RSS, on the synthetic 150,000-pod, 10,000-policy snapshot.
 * Goals: build < 5 s, a query < 50 ms.   Run: node bench/policy.bench.ts
 */
import { performance } from 'node:perf_hooks';
import { explainFlow } from '../src/policy/explain-flow.ts';
import type { Flow, Protocol } from '../src/policy/flow-types.ts';
import { POLICY_LINTS } from '../src/policy/lint/index.ts';
import { buildPolicyIndex } from '../src/policy/policy-index.ts';
import { reachabilityMatrix } from '../src/policy/reachability-matrix.ts';
import { rng, syntheticPolicySnapshot } from './synthetic-policy.ts';

function pct(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] as number;
}
const ms = (x: number) => `${x.toFixed(x < 10 ? 3 : 0)} ms`;

let t = performance.now();
const snapshot = syntheticPolicySnapshot();
const genMs = performance.now() - t;
const c = snapshot.cluster;
console.log(
  `snapshot: ${c.pods.length} pods, ${c.networkPolicies.length} policies, ${c.namespaces.length} namespaces, ${c.services.length} services (generated in ${ms(genMs)})`,
);

t = performance.now();
const index = buildPolicyIndex(snapshot);
const buildMs = performance.now() - t;
console.log(`index build: ${ms(buildMs)}  (goal < 5000 ms) ${buildMs < 5000 ? 'OK' : 'MISSED'}`);

const rand = rng(7);
const pick = <T>(xs: T[]): T => xs[Math.floor(rand() * xs.length)] as T;
const flows: Flow[] = [];
for (let i = 0; i < 1000; i++) {
  const src = pick(c.pods);
  const from = { kind: 'pod' as const, namespace: src.metadata.namespace!, name: src.metadata.name };
  const r = rand();
  if (r < 0.15) {
    flows.push({
      from,
      to: { kind: 'service', namespace: 'kube-system', name: 'kube-dns' },
      port: 53,
      protocol: 'UDP',
    });
  } else if (r < 0.3) {
    const svc = pick(c.services.filter((s) => s.metadata.namespace === src.metadata.namespace));
    flows.push({
      from,
      to: { kind: 'service', namespace: svc.metadata.namespace!, name: svc.metadata.name },
      port: 80,
      protocol: 'TCP',
    });
  } else {
    // Half the time the same namespace (where most allows are), half anywhere.
    const dst = r < 0.65 ? pick(index.podsByNamespace.get(src.metadata.namespace!) ?? c.pods) : pick(c.pods);
    const ports = dst.spec.containers.flatMap((x) => x.ports ?? []);
    const cp = rand() < 0.8 ? pick(ports) : undefined;
    flows.push({
      from,
      to: { kind: 'pod', namespace: dst.metadata.namespace!, name: dst.metadata.name },
      port: cp?.containerPort ?? 7777,
      protocol: (cp?.protocol ?? 'TCP') as Protocol,
    });
  }
}
const lat: number[] = [];
const verdicts = new Map<string, number>();
for (const f of flows) {
  const s = performance.now();
  const e = explainFlow(index, f);
  lat.push(performance.now() - s);
  verdicts.set(e.verdict, (verdicts.get(e.verdict) ?? 0) + 1);
}
lat.sort((a, b) => a - b);
const p99 = pct(lat, 99);
console.log(
  `explain over ${lat.length} queries: p50 ${ms(pct(lat, 50))}  p99 ${ms(p99)}  max ${ms(lat[lat.length - 1]!)}  (goal < 50 ms) ${p99 < 50 ? 'OK' : 'MISSED'}`,
);
console.log(`  verdicts: ${[...verdicts].map(([k, v]) => `${k} ${v}`).join(', ')}`);

t = performance.now();
const m = reachabilityMatrix(index, { namespace: c.namespaces[5]!.metadata.name });
console.log(
  `matrix of one namespace (${m.workloads.length} workloads, ${m.cells.length} cells): ${ms(performance.now() - t)}`,
);

for (const lint of POLICY_LINTS) {
  t = performance.now();
  const found = lint.run(index);
  console.log(`lint ${lint.id}: ${ms(performance.now() - t)} -> ${found.length} found`);
}

console.log(`peak RSS: ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MB`);
