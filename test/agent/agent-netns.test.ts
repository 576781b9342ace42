/**
 * `netdoctor agent` on real Linux networking: three namespaces the test creates stand for three
 * nodes, joined by veth pairs. The agent under test runs inside node A (the CLI, as a child
 * process under `ip netns exec`); a second agent serves in node B; node C answers ICMP but runs
 * no agent; node D's address is on A's link but nobody has it. One round must report ICMP and
 * TCP answered by B, ICMP answered and TCP refused by C (the agent is missing, not the path),
 * and both lost to D; read A's datapath with the node script (the overlay route and MTUs as
 * facts); and find A's disabled ip_forward with the same rule `diagnose` runs. Node A carries
 * kube-proxy's rules for kube-dns (endpoints: a real DNS server, dnsmasq, in B, and D, where
 * nobody answers) and for the API server (a TLS listener in B): the agent must probe DNS over UDP
 * and TCP by ClusterIP and at each endpoint, and the API server by ClusterIP and directly,
 * through the node's own translation, and tell the dead CoreDNS endpoint from the live one.
 * `/metrics` must be valid Prometheus text (checked by promtool). Skipped, with the reason, when
 * namespaces cannot be created.
 */
import assert from 'node:assert/strict';
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { after, before, describe, it } from 'node:test';
import type { AgentSummary } from '../../src/agent/agent-summary.ts';
import {
  type ClusterServiceServers,
  startClusterServiceServers,
} from '../support/cluster-service-servers.ts';
import { defaultServices } from '../support/datapath-builder.ts';
import { iptablesSave } from '../support/kube-proxy-iptables.ts';
import {
  addVxlan,
  canUseNetns,
  createNetns,
  destroyNetns,
  joinNetns,
  nsExec,
  uniqueNetnsName,
} from '../support/netns.ts';

const skip = canUseNetns() ? false : 'needs root and network namespaces';
const PORT = 9464;
const [A1, B1, A2, C2, D1] = ['10.231.1.1', '10.231.1.2', '10.231.2.1', '10.231.2.2', '10.231.1.99'];

function cli(ns: string, args: string[]): string[] {
  return ['ip', 'netns', 'exec', ns, process.execPath, 'src/cli/main.ts', ...args];
}

describe('netdoctor agent in network namespaces', { skip }, () => {
  const ns = { a: '', b: '', c: '' };
  let peerAgent: ChildProcess | undefined;
  let servers: ClusterServiceServers | undefined;

  before(async () => {
    ns.a = createNetns(uniqueNetnsName('agent-a'));
    ns.b = createNetns(uniqueNetnsName('agent-b'));
    ns.c = createNetns(uniqueNetnsName('agent-c'));
    const [devA1] = joinNetns(ns.a, ns.b, A1, B1);
    joinNetns(ns.a, ns.c, A2, C2);
    // Node A as a flannel node: its VXLAN device, a route to B's pod range through it, a default
    // route on the underlay; forwarding off, which the node rules must find.
    addVxlan(ns.a, {
      name: 'flannel.1',
      id: 1,
      local: A1,
      remote: B1,
      dev: devA1,
      addr: '10.244.0.0',
      prefix: 32,
    });
    nsExec(ns.a, ['ip', 'route', 'add', '10.244.1.0/24', 'via', '10.244.1.0', 'dev', 'flannel.1', 'onlink']);
    nsExec(ns.a, ['ip', 'route', 'add', 'default', 'via', B1, 'dev', devA1]);
    nsExec(ns.a, ['sysctl', '-qw', 'net.ipv4.ip_forward=0']);
    // kube-proxy's rules on A: the API server at B1:6443, CoreDNS at B1:53 and at D1:53.
    nsExec(ns.a, ['iptables-nft-restore'], iptablesSave(defaultServices(B1, [B1, D1])));
    servers = startClusterServiceServers(ns.b, B1, 6443);
    const [file, ...args] = cli(ns.b, [
      'agent',
      '--node',
      'node-b',
      '--listen',
      `${B1}:${PORT}`,
      '--interval',
      '5s',
    ]);
    peerAgent = spawn(file!, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    // Ready once it serves /healthz.
    for (let i = 0; i < 100; i++) {
      try {
        if (nsExec(ns.a, ['curl', '-sf', '-m', '1', `http://${B1}:${PORT}/healthz`]).trim() === 'ok') return;
      } catch {
        // not listening yet
      }
      await new Promise((r) => setTimeout(r, 200));
    }
    assert.fail('the peer agent never served /healthz');
  });

  after(() => {
    peerAgent?.kill('SIGTERM');
    servers?.stop();
    for (const n of Object.values(ns)) destroyNetns(n);
  });

  it('probes its peers, reads its node, runs the node rules and serves valid metrics', async () => {
    const args = [
      'agent',
      '--node',
      'node-a',
      '--listen',
      `${A1}:${PORT}`,
      '--rounds',
      '1',
      '--probe-timeout',
      '1s',
      '-o',
      'json',
      '--peer',
      `node-b=${B1}`,
      '--peer',
      `node-c=${C2}`,
      '--peer',
      `node-d=${D1}`,
    ];
    const [file, ...rest] = cli(ns.a, args);
    const out = execFileSync(file!, rest, { encoding: 'utf8', timeout: 90_000 });
    const s = JSON.parse(out.trim().split('\n').at(-1)!) as AgentSummary;
    assert.equal(s.node, 'node-a');
    const got = Object.fromEntries(s.probes.map((p) => [`${p.peer}/${p.kind}`, p.status]));
    assert.deepEqual(got, {
      'node-b/icmp': 'ok',
      'node-b/tcp': 'ok',
      'node-c/icmp': 'ok',
      'node-c/tcp': 'error',
      'node-d/icmp': 'lost',
      'node-d/tcp': 'lost',
    });
    const refused = s.probes.find((p) => p.peer === 'node-c' && p.kind === 'tcp');
    assert.ok(refused?.status === 'error' && /no agent listening/.test(refused.detail));

    assert.ok(s.facts, 'the node was read');
    assert.equal(s.facts.peerRoutes, 1, JSON.stringify(s));
    assert.equal(s.facts.mtu['flannel.1'], 1450);
    assert.equal(Object.keys(s.facts.mtu).length, 2, JSON.stringify(s.facts.mtu));
    assert.ok(
      s.findings.some((f) => f.rule === 'node-ip-forward-disabled' && f.subject.name === 'node-a'),
      JSON.stringify(s.findings.map((f) => f.rule)),
    );

    const services = Object.fromEntries(
      (s.services ?? []).map((p) => [`${p.service} ${p.via} ${p.target} ${p.kind}`, p.status]),
    );
    // kube-dns's ClusterIP sends each query to either endpoint at random (kube-proxy's
    // statistic rule): answered when it picks B, lost when it picks D. Each endpoint is exact.
    const viaClusterIp = ['dns-udp', 'dns-tcp'].map((k) => `kube-dns cluster-ip 10.96.0.10:53 ${k}`);
    for (const k of viaClusterIp)
      assert.ok(['ok', 'lost'].includes(services[k] ?? ''), `${k}: ${services[k]}`);
    assert.deepEqual(services, {
      ...Object.fromEntries(viaClusterIp.map((k) => [k, services[k]])),
      'kube-dns endpoint 10.231.1.2:53 dns-udp': 'ok',
      'kube-dns endpoint 10.231.1.99:53 dns-udp': 'lost',
      'kube-dns endpoint 10.231.1.2:53 dns-tcp': 'ok',
      'kube-dns endpoint 10.231.1.99:53 dns-tcp': 'lost',
      'kubernetes cluster-ip 10.96.0.1:443 tls': 'ok',
      'kubernetes endpoint 10.231.1.2:6443 tls': 'ok',
    });
    const answered = s.services?.find(
      (p) => p.via === 'endpoint' && p.kind === 'dns-udp' && p.status === 'ok',
    );
    assert.equal(answered?.status === 'ok' && answered.rcode, 'NOERROR');
    assert.deepEqual(s.servicesNotProbed, []);
  });

  it('serves /metrics that Prometheus can read, with the probes per peer', async () => {
    const text = nsExec(ns.a, ['curl', '-sf', '-m', '5', `http://${B1}:${PORT}/metrics`]);
    assert.match(text, /netdoctor_agent_node_check_seconds\{node="node-b"\}/);
    assert.match(text, /netdoctor_agent_round\{node="node-b"\} [1-9]/);
    // Node B has no Service rules: nothing is probed, and the summary says why.
    assert.doesNotMatch(text, /netdoctor_agent_service_probes_total\{/);
    // promtool exits non-zero on malformed exposition text (lint problems alone are printed).
    execFileSync('promtool', ['check', 'metrics'], { input: text, stdio: ['pipe', 'pipe', 'pipe'] });
    const identity = JSON.parse(
      nsExec(ns.a, ['curl', '-sf', '-m', '5', `http://${B1}:${PORT}/api/identity`]),
    ) as {
      node: string;
    };
    assert.deepEqual(identity, { node: 'node-b' });
    const summary = JSON.parse(
      nsExec(ns.a, ['curl', '-sf', '-m', '5', `http://${B1}:${PORT}/api/summary`]),
    ) as AgentSummary;
    assert.equal(summary.node, 'node-b');
    assert.deepEqual(summary.services, []);
    assert.deepEqual(
      summary.servicesNotProbed?.map((n) => n.service),
      ['kube-dns', 'kubernetes'],
      JSON.stringify(summary.servicesNotProbed),
    );
    assert.match(summary.servicesNotProbed?.[0]?.detail ?? '', /no kube-proxy Service rules/);
  });
});
