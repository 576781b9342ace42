import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { analyze, runRule } from '../../src/analyze/engine.ts';
import { podHealth } from '../../src/analyze/k8s.ts';
import type { Rule } from '../../src/analyze/rule.ts';
import { cniAgentNotReady } from '../../src/analyze/rules/cni-agent-not-ready.ts';
import { cniAgentStalled, findExit } from '../../src/analyze/rules/cni-agent-stalled.ts';
import { cniBgpPeers as cniCalicoBgpPeers } from '../../src/analyze/rules/cni-calico-bgp-peers.ts';
import { cniAgentHealth as cniCiliumStatus } from '../../src/analyze/rules/cni-cilium-status.ts';
import { cniDaemonsetMissing } from '../../src/analyze/rules/cni-daemonset-missing.ts';
import { dnsConfigInvalid } from '../../src/analyze/rules/dns-config-invalid.ts';
import { dnsCorednsNotReady } from '../../src/analyze/rules/dns-coredns-not-ready.ts';
import { dnsCorednsPods } from '../../src/analyze/rules/dns-coredns-pods.ts';
import { dnsExternalProbeFailed } from '../../src/analyze/rules/dns-external-probe-failed.ts';
import { dnsProbeFailed } from '../../src/analyze/rules/dns-probe-failed.ts';
import { dnsServiceNoEndpoints } from '../../src/analyze/rules/dns-service-no-endpoints.ts';
import { dnsUpstreamUnreachable } from '../../src/analyze/rules/dns-upstream-unreachable.ts';
import { RULES } from '../../src/analyze/rules/index.ts';
import { networkCidrOverlap } from '../../src/analyze/rules/network-cidr-overlap.ts';
import { nodeNotReady } from '../../src/analyze/rules/node-not-ready.ts';
import { proxyNotReady } from '../../src/analyze/rules/proxy-not-ready.ts';
import { proxyPodRestarts } from '../../src/analyze/rules/proxy-pod-restarts.ts';
import { serviceEndpointsEmpty } from '../../src/analyze/rules/service-endpoints-empty.ts';
import { serviceEndpointsNotReady } from '../../src/analyze/rules/service-endpoints-not-ready.ts';
import { serviceNoEndpoints } from '../../src/analyze/rules/service-no-endpoints.ts';
import { buildIndex } from '../../src/analyze/snapshot-index.ts';
import type { Snapshot } from '../../src/core/model.ts';
import { SnapshotBuilder } from '../support/snapshot-builder.ts';

function run(rule: Rule, s: Snapshot) {
  const r = runRule(rule, s);
  assert.notEqual(r.outcome.status, 'error', JSON.stringify(r.outcome));
  return r;
}

const cluster = () => SnapshotBuilder.flannel();

/** Each rule: the fault that must trigger it, and the category or symptom it must report. */
const TABLE: {
  rule: Rule;
  fault: (b: SnapshotBuilder) => SnapshotBuilder;
  expect: string;
  subject?: string;
}[] = [
  {
    rule: cniDaemonsetMissing,
    fault: (b) => b.deleteFlannelDaemonSet(),
    expect: 'cni.daemonset-missing',
    subject: 'kube-flannel-ds',
  },
  {
    rule: cniAgentNotReady,
    fault: (b) => b.edit((s) => crash(s, 'kube-flannel', 'worker-1')),
    expect: 'cni.agent-not-ready',
    subject: 'worker-1',
  },
  {
    rule: cniAgentStalled,
    fault: (b) => b.stallFlannel('worker-2'),
    expect: 'cni.agent-stalled',
    subject: 'worker-2',
  },
  {
    rule: nodeNotReady,
    fault: (b) => b.nodeNotReady('worker-3'),
    expect: 'node.not-ready',
    subject: 'worker-3',
  },
  {
    rule: proxyNotReady,
    fault: (b) => b.crashKubeProxy(['worker-1']),
    expect: 'proxy.not-ready',
    subject: 'worker-1',
  },
  { rule: proxyPodRestarts, fault: (b) => b.crashKubeProxy(['worker-1']), expect: 'pod-crashlooping' },
  {
    rule: dnsCorednsNotReady,
    fault: (b) => b.crashCoredns(),
    expect: 'dns.coredns-not-ready',
    subject: 'coredns',
  },
  { rule: dnsCorednsPods, fault: (b) => b.corednsNotReady(), expect: 'pod-not-ready' },
  {
    rule: dnsServiceNoEndpoints,
    fault: (b) => b.corednsNotReady(),
    expect: 'dns.service-no-endpoints',
    subject: 'kube-dns',
  },
  {
    rule: dnsUpstreamUnreachable,
    fault: (b) => b.corednsUpstreamUnreachable(),
    expect: 'dns.upstream-unreachable',
  },
  {
    rule: dnsConfigInvalid,
    fault: (b) => b.corefileLoop(),
    expect: 'dns.config-invalid',
    subject: 'coredns',
  },
  { rule: dnsProbeFailed, fault: (b) => b.stallFlannel('worker-2'), expect: 'dns-udp-failed' },
  { rule: dnsExternalProbeFailed, fault: (b) => b.corednsUpstreamUnreachable(), expect: 'dns-udp-failed' },
  {
    rule: serviceNoEndpoints,
    fault: (b) => b.selectorTypo(),
    expect: 'service.no-endpoints',
    subject: 'web-frontend',
  },
  {
    rule: serviceEndpointsNotReady,
    fault: (b) =>
      b.edit((s) => s.cluster.pods.filter((p) => p.metadata.labels?.app === 'web-frontend').forEach(unready)),
    expect: 'service.endpoints-not-ready',
    subject: 'web-frontend',
  },
  {
    rule: serviceEndpointsEmpty,
    fault: (b) => b.selectorTypo(),
    expect: 'endpoints-empty',
    subject: 'web-frontend',
  },
  {
    rule: networkCidrOverlap,
    fault: (b) => b.edit((s) => setNodeIp(s, 'worker-1', '10.244.7.5')),
    expect: 'network.cidr-overlap',
  },
];

function crash(s: Snapshot, ns: string, node: string): void {
  const pod = s.cluster.pods.find((p) => p.metadata.namespace === ns && p.spec.nodeName === node);
  const c = pod?.status.containerStatuses?.[0];
  if (!pod || !c) throw new Error('no pod');
  c.ready = false;
  c.restartCount = 12;
  c.state = { waiting: { reason: 'CrashLoopBackOff' } };
  c.lastState = { terminated: { reason: 'Error', exitCode: 1 } };
}

function unready(p: Snapshot['cluster']['pods'][number]): void {
  p.status.conditions = [{ type: 'Ready', status: 'False' }];
  for (const c of p.status.containerStatuses ?? []) c.ready = false;
}

function setNodeIp(s: Snapshot, node: string, ip: string): void {
  const n = s.cluster.nodes.find((x) => x.metadata.name === node);
  if (n) n.status.addresses = [{ type: 'InternalIP', address: ip }];
}

describe('cluster rules: fire on their fault, silent on a healthy cluster', () => {
  const healthy = cluster().build();
  for (const t of TABLE) {
    it(`${t.rule.id}: silent when healthy`, () => {
      const r = run(t.rule, healthy);
      assert.deepEqual(
        r.findings.filter((f) => f.severity !== 'info').map((f) => f.summary),
        [],
      );
    });
    it(`${t.rule.id}: fires with ${t.expect}`, () => {
      const r = run(t.rule, t.fault(cluster()).build());
      const hit = r.findings.find((f) => f.cause?.category === t.expect || f.symptom?.kind === t.expect);
      assert.ok(hit, `${t.rule.id} reported ${JSON.stringify(r.findings.map((f) => f.id))}`);
      if (t.subject) assert.equal(hit.subject.name, t.subject);
      assert.ok(hit.evidence.length > 0);
      assert.notEqual(hit.severity, 'info');
    });
  }

  it('every rule of this area is registered once', () => {
    const ids = RULES.map((r) => r.id);
    for (const t of TABLE) assert.equal(ids.filter((id) => id === t.rule.id).length, 1, t.rule.id);
    assert.ok(ids.includes('cni-calico-bgp-peers') && ids.includes('cni-cilium-status'));
  });
});

describe('no false alarms', () => {
  it('a CoreDNS pod that restarted once long ago and is Ready is healthy', () => {
    const s = cluster()
      .edit((snap) => {
        const c = snap.cluster.pods.find((p) => p.metadata.labels?.['k8s-app'] === 'kube-dns')?.status
          .containerStatuses?.[0];
        if (c) {
          c.restartCount = 1;
          c.lastState = {
            terminated: { reason: 'Completed', exitCode: 0, finishedAt: '2025-09-01T00:00:00Z' },
          };
        }
      })
      .build();
    assert.deepEqual(run(dnsCorednsPods, s).findings, []);
    assert.deepEqual(run(dnsCorednsNotReady, s).findings, []);
  });

  it('a Service whose only pods started moments ago and are not ready yet is starting, not broken', () => {
    const starting = (startedSecondsAgo: number, restarts = 0) =>
      cluster()
        .edit((snap) => {
          const at = Date.parse(snap.meta.createdAt) - startedSecondsAgo * 1000;
          for (const p of snap.cluster.pods.filter((x) => x.metadata.labels?.app === 'web-frontend')) {
            unready(p);
            for (const c of p.status.containerStatuses ?? []) {
              c.state = { running: { startedAt: new Date(at).toISOString() } };
              c.restartCount = restarts;
            }
          }
          for (const sl of snap.cluster.endpointSlices.filter(
            (x) => x.metadata.labels?.['kubernetes.io/service-name'] === 'web-frontend',
          ))
            for (const ep of sl.endpoints ?? []) ep.conditions = { ...ep.conditions, ready: false };
        })
        .build();
    const problems = (s: Snapshot) =>
      [serviceEndpointsNotReady, serviceEndpointsEmpty].flatMap((r) =>
        run(r, s)
          .findings.filter((f) => f.subject.name === 'web-frontend')
          .map((f) => f.rule),
      );
    assert.deepEqual(problems(starting(10)), []);
    // Past the grace, or after a restart, not ready is a finding again.
    assert.deepEqual(problems(starting(120)), ['service-endpoints-not-ready', 'service-endpoints-empty']);
    assert.deepEqual(problems(starting(10, 1)), ['service-endpoints-not-ready', 'service-endpoints-empty']);
  });

  it('a Service without a selector, and kube-system/kubernetes endpoints, are fine', () => {
    const s = cluster()
      .edit((snap) => {
        snap.cluster.services.push({
          metadata: { name: 'external-db', namespace: 'default' },
          spec: { type: 'ClusterIP', clusterIP: '10.96.5.5', ports: [{ port: 5432 }] },
        });
      })
      .build();
    assert.deepEqual(run(serviceNoEndpoints, s).findings, []);
    assert.deepEqual(run(serviceEndpointsEmpty, s).findings, []);
  });

  it('a Service whose Deployment is scaled to zero is only information', () => {
    const s = cluster()
      .edit((snap) => {
        snap.cluster.pods = snap.cluster.pods.filter((p) => p.metadata.labels?.app !== 'web-frontend');
        const d = snap.cluster.deployments.find((x) => x.metadata.name === 'web-frontend');
        if (d) d.spec.replicas = 0;
        const sl = snap.cluster.endpointSlices.find((x) => x.metadata.name.startsWith('web-frontend'));
        if (sl) sl.endpoints = [];
      })
      .build();
    assert.ok(run(serviceNoEndpoints, s).findings.every((f) => f.severity === 'info'));
    assert.deepEqual(run(serviceEndpointsEmpty, s).findings, []);
  });

  it('kubeadm layout without an apiserver pod (service range inferred from ClusterIPs) does not overlap', () => {
    const s = SnapshotBuilder.flannel({ apiserverPod: false }).build();
    assert.deepEqual(run(networkCidrOverlap, s).findings, []);
  });

  it("flannel's normal start-up line is not an exit; explicit exit lines are", () => {
    const healthy = cluster().build();
    for (const text of Object.values(healthy.cluster.logs))
      assert.equal(findExit(text.split('\n')), undefined);
    // flannel's main.go logs this on every healthy start, then blocks on its workers.
    assert.equal(
      findExit(['I1 iptables.go:357] bootstrap done', 'I1 main.go:488] Waiting for all goroutines to exit']),
      undefined,
    );
    assert.ok(
      findExit(['I1 main.go:488] Waiting for all goroutines to exit', 'I1 main.go:503] Exiting cleanly...']),
    );
    assert.ok(findExit(['F1013 21:58:50.350416 1 main.go:332] Failed to find any valid interface']));
  });

  it('a healthy agent whose log ends with "Waiting for all goroutines to exit" is not stalled', () => {
    const s = cluster()
      .edit((snap) => {
        for (const key of Object.keys(snap.cluster.logs))
          if (key.includes('flannel'))
            snap.cluster.logs[key] +=
              '\nI1013 21:58:50.343338 1 iptables.go:357] bootstrap done\nI1013 21:58:50.350416 1 main.go:488] Waiting for all goroutines to exit\n';
      })
      .build();
    assert.deepEqual(run(cniAgentStalled, s).findings, []);
  });

  it('upstream errors do not fire while an external probe passes', () => {
    const s = cluster()
      .corednsUpstreamUnreachable()
      .edit((snap) => {
        for (const p of snap.probes?.results ?? [])
          if (p.to.name === 'example.org') p.outcome = { status: 'pass', rttMs: 3 };
      })
      .build();
    assert.deepEqual(run(dnsUpstreamUnreachable, s).findings, []);
  });

  it('upstream errors count only when logged in the five minutes before the snapshot', () => {
    /** The CoreDNS logs as collected with timestamps, every line received `agoMs` before the snapshot; no external probe. */
    const logged = (agoMs: number) =>
      cluster()
        .corednsUpstreamUnreachable()
        .edit((snap) => {
          const at = new Date(Date.parse(snap.meta.createdAt) - agoMs).toISOString().replace('Z', '123456Z');
          for (const key of Object.keys(snap.cluster.logs)) {
            if (!key.includes('coredns')) continue;
            snap.cluster.logs[key] = snap.cluster.logs[key]!.split('\n')
              .map((l) => `${at} ${l}`)
              .join('\n');
          }
          if (snap.probes)
            snap.probes.results = snap.probes.results.filter((p) => p.to.name !== 'example.org');
        })
        .build();
    assert.equal(run(dnsUpstreamUnreachable, logged(60_000)).findings.length, 1, 'recent errors');
    assert.deepEqual(run(dnsUpstreamUnreachable, logged(10 * 60_000)).findings, [], 'an outage that is over');
  });
});

describe('rule details', () => {
  it('agent-stalled is corroborated by the missing peer routes', () => {
    const f = run(cniAgentStalled, cluster().stallFlannel('worker-2').build()).findings[0];
    assert.equal(f?.severity, 'critical');
    assert.equal(f?.cause?.confidence, 0.95);
    assert.equal(f?.evidence[0]?.source, 'nodes/worker-2/ip-route.json');
    assert.ok(
      f?.evidence.some((e) => /Waiting for all goroutines to exit/.test(e.observed)),
      'the log tail is shown',
    );
  });

  it('one peer route deleted while the others are there is a missing route, not a stalled agent', () => {
    const s = cluster()
      .edit((snap) => {
        const dp = snap.nodes['worker-2'];
        const peer = snap.cluster.nodes.find((n) => n.metadata.name === 'worker-1')?.spec.podCIDR;
        assert.ok(dp?.routes && peer);
        const before = dp.routes.length;
        dp.routes = dp.routes.filter((r) => r.dst !== peer);
        assert.equal(dp.routes.length, before - 1, 'the route to worker-1 was there to delete');
      })
      .build();
    assert.deepEqual(run(cniAgentStalled, s).findings, [], 'the agent programmed its other peers');
    const first = analyze(s).rootCauses[0];
    assert.deepEqual([first?.category, first?.subject.name], ['cni.routes-missing', 'worker-2']);
  });

  it('without the datapath, only an explicit exit line in the log makes a (less sure) stall', () => {
    const s = cluster().stallFlannel('worker-2').build();
    delete s.nodes['worker-2'];
    assert.deepEqual(run(cniAgentStalled, s).findings, [], "seed 004's log alone proves nothing");
    const key = Object.keys(s.cluster.logs).find(
      (k) => k.includes('flannel') && s.cluster.logs[k]?.includes('goroutines'),
    );
    assert.ok(key);
    s.cluster.logs[key] += 'I1013 21:58:51.000000 1 main.go:503] Exiting cleanly...\n';
    const f = run(cniAgentStalled, s).findings[0];
    assert.equal(f?.severity, 'error');
    assert.equal(f?.cause?.confidence, 0.7);
    // Resting on the log alone, it is a finding to follow up, never a root cause.
    assert.equal(f?.cause?.basis, 'logs');
    assert.ok(!analyze(s).rootCauses.some((c) => c.category === 'cni.agent-stalled'));
  });

  it('DNS probe symptoms list the source node and the CoreDNS pod node', () => {
    const s = SnapshotBuilder.flannel({ corednsNodes: ['worker-2', 'worker-3'] })
      .stallFlannel('worker-2')
      .build();
    const f = run(dnsProbeFailed, s).findings.find((x) => x.id === 'dns-probe-failed/Node//worker-1/dns-udp');
    assert.deepEqual(f?.symptom?.nodes, ['worker-1', 'worker-2', 'worker-3']);
  });

  it('dns.config-invalid: unknown plugin and forward without upstream', () => {
    const s = cluster()
      .edit((snap) => {
        const cm = snap.cluster.configMaps.find((c) => c.metadata.name === 'coredns');
        if (cm?.data)
          cm.data.Corefile = '.:53 {\n    errors\n    forwardd . 8.8.8.8\n    forward .\n    cache 30\n}\n';
      })
      .build();
    const f = run(dnsConfigInvalid, s).findings[0];
    assert.ok(f?.evidence.some((e) => /unknown plugin "forwardd"/.test(e.observed)));
    assert.ok(f?.evidence.some((e) => /names no upstream/.test(e.observed)));
  });

  it('dns.config-invalid: unbalanced braces are a parse error', () => {
    const s = cluster()
      .edit((snap) => {
        const cm = snap.cluster.configMaps.find((c) => c.metadata.name === 'coredns');
        if (cm?.data) cm.data.Corefile = '.:53 {\n    errors\n';
      })
      .build();
    assert.equal(run(dnsConfigInvalid, s).findings.length, 1);
  });

  it('network.cidr-overlap: service range from the apiserver flag overlapping the pod network', () => {
    const s = cluster()
      .edit((snap) => {
        const api = snap.cluster.pods.find((p) => p.metadata.name.startsWith('kube-apiserver'));
        const c = api?.spec.containers[0];
        if (c?.command)
          c.command = c.command.map((a) =>
            a.startsWith('--service-cluster-ip-range') ? '--service-cluster-ip-range=10.244.0.0/12' : a,
          );
      })
      .build();
    const f = run(networkCidrOverlap, s).findings[0];
    assert.match(
      f?.summary ?? '',
      /pod network 10\.244\.0\.0\/16 overlaps service network 10\.240\.0\.0\/12/,
    );
  });

  it('podHealth: CrashLoopBackOff, flapping and ok', () => {
    const now = Date.parse('2025-10-13T22:05:00Z');
    const pod = cluster()
      .crashKubeProxy(['worker-1'])
      .build()
      .cluster.pods.find(
        (p) => p.metadata.labels?.['k8s-app'] === 'kube-proxy' && p.spec.nodeName === 'worker-1',
      );
    assert.ok(pod);
    assert.equal(podHealth(pod, now).state, 'crashloop');
  });
});

describe('Calico and Cilium', () => {
  const calicoStatus = (state: string, info: string) => `Calico process is running.

IPv4 BGP status
+---------------+-------------------+-------+----------+-------------+
| PEER ADDRESS  |     PEER TYPE     | STATE |  SINCE   |    INFO     |
+---------------+-------------------+-------+----------+-------------+
| 192.168.1.11  | node-to-node mesh | up    | 14:25:47 | Established |
| 192.168.1.12  | node-to-node mesh | ${state} | 14:25:47 | ${info} |
+---------------+-------------------+-------+----------+-------------+

IPv6 BGP status
No IPv6 peers found.
`;
  function calico(state: string, info: string): Snapshot {
    return cluster()
      .deleteFlannelDaemonSet()
      .edit((s) => {
        s.cluster.configMaps = s.cluster.configMaps.filter((c) => c.metadata.name !== 'kube-flannel-cfg');
        for (const n of s.cluster.nodes) n.metadata.annotations = {};
        s.cluster.daemonSets.push({
          metadata: { name: 'calico-node', namespace: 'kube-system' },
          spec: { selector: { matchLabels: { 'k8s-app': 'calico-node' } }, template: {} },
        });
        for (const [name, dp] of Object.entries(s.nodes)) {
          dp.cniConfigs = [];
          dp.cniStatus = {
            tool: 'calicoctl',
            output: name === 'worker-1' ? calicoStatus(state, info) : calicoStatus('up', 'Established'),
          };
        }
      })
      .build();
  }

  it('flags a BGP session that is not Established as missing routes on that node', () => {
    const s = calico('start', 'Connect');
    assert.equal(buildIndex(s).cni, 'calico');
    const r = run(cniCalicoBgpPeers, s);
    assert.equal(r.findings.length, 1);
    assert.equal(r.findings[0]?.cause?.category, 'cni.routes-missing');
    assert.equal(r.findings[0]?.subject.name, 'worker-1');
    assert.match(r.findings[0]?.summary ?? '', /192\.168\.1\.12/);
  });

  it('is silent when every session is Established, and skipped on flannel', () => {
    assert.deepEqual(run(cniCalicoBgpPeers, calico('up', 'Established')).findings, []);
    assert.equal(run(cniCalicoBgpPeers, cluster().build()).outcome.status, 'skipped');
  });

  it('reads cilium status', () => {
    const ok = `KVStore:                Ok   Disabled
Kubernetes:             Ok   1.28 (v1.28.2) [linux/amd64]
Cilium:                 Ok   1.14.0 (v1.14.0-snapshot.1)
Cilium health daemon:   Ok
Cluster health:         2/2 reachable   (2024-09-05T17:00:00Z)
`;
    const bad = ok
      .replace('Kubernetes:             Ok   1.28', 'Kubernetes:             Warning   1.28')
      .replace('2/2 reachable', '1/2 reachable');
    const build = (out: string) =>
      cluster()
        .deleteFlannelDaemonSet()
        .edit((s) => {
          s.cluster.configMaps = s.cluster.configMaps.filter((c) => c.metadata.name !== 'kube-flannel-cfg');
          for (const n of s.cluster.nodes) n.metadata.annotations = {};
          s.cluster.daemonSets.push({
            metadata: { name: 'cilium', namespace: 'kube-system' },
            spec: { selector: {}, template: {} },
          });
          for (const dp of Object.values(s.nodes)) {
            dp.cniConfigs = [];
            dp.cniStatus = { tool: 'cilium', output: out };
          }
        })
        .build();
    assert.deepEqual(run(cniCiliumStatus, build(ok)).findings, []);
    const f = run(cniCiliumStatus, build(bad)).findings;
    assert.ok(f.some((x) => x.cause?.category === 'cni.agent-not-ready'));
    assert.ok(f.some((x) => x.symptom?.kind === 'cross-node-failed'));
  });
});
