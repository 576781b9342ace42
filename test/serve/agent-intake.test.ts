/**
 * Agents' summaries delivered to `netdoctor serve` over HTTP: every refusal with its status, and
 * an accepted summary in the served report and /metrics within a second or two. The server and
 * the token policy (TokenReviewAuthenticator) are the real ones; the API server's TokenReview
 * answers come from a table here, since no API server runs in the unit tests (the live test
 * test/live/agent-intake.test.ts asks the lab's).
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { after, describe, it } from 'node:test';
import type { AgentSummary } from '../../src/agent/agent-summary.ts';
import type { Report } from '../../src/core/model.ts';
import { type TokenFacts, TokenReviewAuthenticator } from '../../src/serve/agent-auth.ts';
import { serveWithAgents } from '../support/serve-with-agents.ts';

const SA = { namespace: 'netdoctor', name: 'netdoctor-agent' };
const AGENT_USER = 'system:serviceaccount:netdoctor:netdoctor-agent';
const NODES = ['ndlab-node1', 'ndlab-node2', 'ndlab-node3'];
const STALE_MS = 2_500;

/** What the API server would say about each token. */
const TOKENS: Record<string, TokenFacts> = {
  ...Object.fromEntries(
    NODES.map((n) => [
      `agent-on-${n}`,
      {
        authenticated: true,
        username: AGENT_USER,
        extra: { 'authentication.kubernetes.io/node-name': [n] },
      },
    ]),
  ),
  'default-sa': { authenticated: true, username: 'system:serviceaccount:default:default' },
  'old-cluster-agent': { authenticated: true, username: AGENT_USER },
};
let reviews = 0;
const review = async (token: string): Promise<TokenFacts> => {
  reviews++;
  return TOKENS[token] ?? { authenticated: false, error: 'invalid bearer token' };
};

function summary(node: string, over: Record<string, unknown> = {}): Record<string, unknown> {
  const s: AgentSummary = {
    node,
    round: 3,
    at: new Date(Date.now() + 1_000).toISOString(),
    findings: [],
    judged: ['node-ip-forward-disabled'],
    facts: { peerRoutes: 2, fdbEntries: 2, mtu: { eth0: 1500, 'flannel.1': 1450 } },
    gaps: [],
    notCollected: [],
    probes: [{ peer: 'ndlab-node2', kind: 'icmp', status: 'ok', rttMs: 0.2, sent: 3, received: 3 }],
    services: [
      {
        service: 'kube-dns',
        via: 'cluster-ip',
        target: '10.96.0.10:53',
        kind: 'dns-udp',
        status: 'ok',
        rttMs: 1,
        rcode: 'NOERROR',
      },
      {
        service: 'kubernetes',
        via: 'endpoint',
        target: '10.0.0.1:6443',
        kind: 'tls',
        status: 'lost',
        detail: 'no answer',
      },
    ],
    servicesNotProbed: [],
  };
  return { ...s, ...over };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('netdoctor serve taking agent summaries', async () => {
  const s = await serveWithAgents(new TokenReviewAuthenticator(review, [SA]), STALE_MS);
  after(() => s.close());
  const url = `${s.intakeUrl}/api/agent-summary`;
  const post = async (token: string | undefined, body: string, type = 'application/json') => {
    const r = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': type, ...(token ? { authorization: `Bearer ${token}` } : {}) },
      body,
    });
    return { status: r.status, text: await r.text() };
  };
  const report = async (): Promise<Report> => (await (await fetch(`${s.url}/api/report`)).json()) as Report;

  it('calls no node healthy before its agent has spoken', async () => {
    const r = await report();
    assert.equal(r.verdict, 'inconclusive');
    assert.deepEqual(
      r.gaps.filter((g) => g.collector === 'agent').map((g) => g.node),
      NODES,
    );
  });

  it('refuses a summary without a valid token, from another account, or for another node', async () => {
    const body = JSON.stringify(summary('ndlab-node1'));
    assert.equal((await post(undefined, body)).status, 401);
    const forged = await post('eyJhbGciOiJSUzI1NiJ9.forged.sig', body);
    assert.equal(forged.status, 401);
    assert.match(forged.text, /not valid/);
    const other = await post('default-sa', body);
    assert.equal(other.status, 403);
    assert.match(other.text, /not a netdoctor agent/);
    const elsewhere = await post('agent-on-ndlab-node2', body);
    assert.equal(elsewhere.status, 403);
    assert.match(elsewhere.text, /issued on node ndlab-node2, not ndlab-node1/);
    assert.equal((await fetch(url)).status, 405);
    // The dashboard's port takes no summaries, and the intake's serves nothing else.
    assert.equal((await fetch(`${s.url}/api/agent-summary`, { method: 'POST', body: body })).status, 405);
    assert.equal((await fetch(`${s.intakeUrl}/api/report`)).status, 404);
  });

  it('refuses an oversized body before asking the API server, and anything not a summary', async () => {
    const before = reviews;
    const big = await post(
      'agent-on-ndlab-node1',
      JSON.stringify(summary('ndlab-node1', { pad: 'x'.repeat(600_000) })),
    );
    assert.equal(big.status, 413);
    assert.equal(reviews, before);
    assert.equal((await post('agent-on-ndlab-node1', 'not json')).status, 400);
    assert.equal((await post('agent-on-ndlab-node1', '{}', 'text/plain')).status, 415);
    const unknownField = await post(
      'agent-on-ndlab-node1',
      JSON.stringify(summary('ndlab-node1', { extra: 1 })),
    );
    assert.equal(unknownField.status, 400);
    assert.match(unknownField.text, /not an agent summary/);
    const badFinding = await post(
      'agent-on-ndlab-node1',
      JSON.stringify(summary('ndlab-node1', { findings: [{ id: 'x', severity: 'fatal' }] })),
    );
    assert.equal(badFinding.status, 400);
    const { judged: _, ...withoutJudged } = summary('ndlab-node1');
    assert.equal((await post('agent-on-ndlab-node1', JSON.stringify(withoutJudged))).status, 400);
    const badService = await post(
      'agent-on-ndlab-node1',
      JSON.stringify(
        summary('ndlab-node1', {
          services: [
            {
              service: 'etcd',
              via: 'endpoint',
              target: '10.0.0.1:2379',
              kind: 'tls',
              status: 'ok',
              rttMs: 1,
            },
          ],
        }),
      ),
    );
    assert.equal(badService.status, 400);
    assert.match(badService.text, /services/);
  });

  it('takes each agent’s summary, then calls the lab healthy; a silent agent turns its node unknown', async () => {
    for (const n of NODES)
      assert.equal((await post(`agent-on-${n}`, JSON.stringify(summary(n)))).status, 204);
    // An agent on a cluster without node-bound tokens is taken at its word about its node.
    assert.equal((await post('old-cluster-agent', JSON.stringify(summary('ndlab-node3')))).status, 204);
    await sleep(1_500);
    assert.equal((await report()).verdict, 'healthy');
    const metrics = await (await fetch(`${s.url}/metrics`)).text();
    assert.match(metrics, /^netdoctor_agent_reporting\{node="ndlab-node1"\} 1$/m);
    // Prometheus's own linter accepts the agents' series (names, types, help).
    const lint = spawnSync('promtool', ['check', 'metrics'], { input: metrics, encoding: 'utf8' });
    assert.equal(lint.status, 0, `${lint.stdout}${lint.stderr}`);
    assert.match(metrics, /^netdoctor_agent_reports_received_total\{outcome="accepted"\} 4$/m);
    assert.match(metrics, /^netdoctor_agent_reports_received_total\{outcome="forbidden"\} 2$/m);
    assert.match(metrics, /^netdoctor_agent_reports_received_total\{outcome="too-large"\} 1$/m);
    // The dashboard's drill-down shows the facts of the node's agent.
    const node1 = (await (await fetch(`${s.url}/api/node?name=ndlab-node1`)).json()) as {
      agent?: { facts?: { mtu: Record<string, number> }; ageSeconds: number };
    };
    assert.equal(node1.agent?.facts?.mtu['flannel.1'], 1450);
    assert.ok((node1.agent?.ageSeconds ?? -1) >= 0);

    // node1 and node2 keep sending; node3 stops.
    const until = Date.now() + STALE_MS + 3_000;
    let last: Report | undefined;
    while (Date.now() < until) {
      for (const n of NODES.slice(0, 2)) await post(`agent-on-${n}`, JSON.stringify(summary(n)));
      last = await report();
      if (last.verdict === 'inconclusive') break;
      await sleep(500);
    }
    assert.equal(last?.verdict, 'inconclusive');
    assert.deepEqual(
      last.gaps.filter((g) => g.collector === 'agent').map((g) => g.node),
      ['ndlab-node3'],
    );
    const view = (await (await fetch(`${s.url}/api/view`)).json()) as {
      nodes: { name: string; health: string }[];
    };
    assert.equal(view.nodes.find((n) => n.name === 'ndlab-node3')?.health, 'unknown');
    assert.match(
      await (await fetch(`${s.url}/metrics`)).text(),
      /^netdoctor_agent_reporting\{node="ndlab-node3"\} 0$/m,
    );
  });

  it('serves what an agent found through the same redaction as every report', async () => {
    const token =
      'eyJhbGciOiJSUzI1NiIsImtpZCI6Ik1ZZzNfc1R4In0.eyJzdWIiOiJzeXN0ZW06c2VydmljZWFjY291bnQ6a3ViZS1zeXN0ZW06a3ViZS1wcm94eSJ9.QmFkU2lnbmF0dXJlRm9yVGVzdGluZ09ubHlfX19fX18';
    const finding = {
      id: 'node-ip-forward-disabled/Node//ndlab-node1',
      rule: 'node-ip-forward-disabled',
      layer: 'node',
      severity: 'critical',
      subject: { kind: 'Node', name: 'ndlab-node1' },
      summary: 'ndlab-node1 does not forward packets',
      evidence: [
        { source: 'nodes/ndlab-node1/sysctl.txt', observed: `net.ipv4.ip_forward = 0 token=${token}` },
      ],
      cause: { category: 'node.ip-forward-disabled', confidence: 0.95, remediation: ['enable-ip-forward'] },
    };
    const sent = await post(
      'agent-on-ndlab-node1',
      JSON.stringify(summary('ndlab-node1', { findings: [finding] })),
    );
    assert.equal(sent.status, 204, sent.text);
    let text = '';
    for (let i = 0; i < 20 && !text.includes(finding.id); i++) {
      await sleep(250);
      text = await (await fetch(`${s.url}/api/report`)).text();
    }
    assert.ok(text.includes(finding.id), 'the agent finding was not served');
    assert.ok(!text.includes(token), 'a token an agent sent was served');
    assert.equal((JSON.parse(text) as Report).rootCauses[0]?.category, 'node.ip-forward-disabled');
  });
});
