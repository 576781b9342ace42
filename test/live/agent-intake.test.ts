/**
 * Agents' summaries checked by the lab's real API server (TokenReview): netdoctor serve, run
 * here against the lab's kubeconfig, takes a summary only with a token of the agents'
 * ServiceAccount issued for netdoctor's audience, and, the token being bound to a pod, only for
 * the node that pod runs on. A forged token, one for the API server's own audience and one of
 * another ServiceAccount are refused. The report comes from a recorded bundle of the same lab
 * (its nodes have the lab's names); only the tokens need the cluster. Skipped, with the reason,
 * when the lab is not running.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { AgentSummary } from '../../src/agent/agent-summary.ts';
import { AGENT_TOKEN_AUDIENCE } from '../../src/agent/agent-token.ts';
import { loadKubeConfig } from '../../src/cluster/kube-port.ts';
import { TokenReviewAuthenticator, tokenReviewOf } from '../../src/serve/agent-auth.ts';
import type { RunningServe } from '../../src/serve/serve.ts';
import { serveWithAgents } from '../support/serve-with-agents.ts';
import { kubectl, type LabInfo, labOrSkipReason } from './live-lab.ts';

const status = labOrSkipReason();
const skip = 'skip' in status ? status.skip : false;
const lab = ('lab' in status ? status.lab : undefined) as LabInfo;
const NS = `ndt-intake-live-${process.pid}`;
const AGENT_SA = 'netdoctor-agent';

function token(sa: string, extra: string[] = []): string {
  const r = kubectl(lab, ['-n', NS, 'create', 'token', sa, '--duration', '10m', ...extra]);
  assert.ok(r.ok, r.err);
  return r.out.trim();
}

function summary(node: string): AgentSummary {
  return {
    node,
    round: 0,
    at: new Date().toISOString(),
    findings: [],
    judged: [],
    facts: { peerRoutes: 2, fdbEntries: 2, mtu: { eth0: 1500 } },
    gaps: [],
    notCollected: [],
    probes: [],
  };
}

describe('agent summaries checked by TokenReview (live lab)', { skip, timeout: 300_000 }, () => {
  let s: RunningServe;
  const node = () => lab.nodes[1]!.name;
  const other = () => lab.nodes[0]!.name;
  before(async () => {
    assert.ok(kubectl(lab, ['create', 'namespace', NS]).ok);
    for (const sa of [AGENT_SA, 'someone-else'])
      assert.ok(kubectl(lab, ['-n', NS, 'create', 'serviceaccount', sa]).ok);
    // A pod of the agents' account on one node: the token bound to it names that node. It need
    // not run; the API server binds the token to the pod object.
    const pod = {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'agent-stand-in', namespace: NS },
      spec: {
        nodeName: node(),
        serviceAccountName: AGENT_SA,
        automountServiceAccountToken: false,
        containers: [{ name: 'c', image: 'netdoctor.invalid/none:0', command: ['sleep', 'infinity'] }],
      },
    };
    const made = kubectl(lab, ['apply', '-f', '-'], JSON.stringify(pod));
    assert.ok(made.ok, made.err);
    s = await serveWithAgents(
      new TokenReviewAuthenticator(
        tokenReviewOf(loadKubeConfig({ kubeconfig: lab.kubeconfig }), AGENT_TOKEN_AUDIENCE),
        [{ namespace: NS, name: AGENT_SA }],
      ),
      60_000,
    );
  });
  after(async () => {
    await s?.close();
    kubectl(lab, ['delete', 'namespace', NS, '--wait=false', '--ignore-not-found']);
  });

  const post = async (bearer: string, body: AgentSummary) => {
    const r = await fetch(`${s.intakeUrl}/api/agent-summary`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${bearer}` },
      body: JSON.stringify(body),
    });
    return { status: r.status, text: (await r.text()).trim() };
  };

  it("takes a summary with the agents' pod-bound token, for the pod's node only", async () => {
    const bound = token(AGENT_SA, [
      '--audience',
      AGENT_TOKEN_AUDIENCE,
      '--bound-object-kind',
      'Pod',
      '--bound-object-name',
      'agent-stand-in',
    ]);
    const ok = await post(bound, summary(node()));
    assert.equal(ok.status, 204, ok.text);
    const elsewhere = await post(bound, summary(other()));
    assert.equal(elsewhere.status, 403, elsewhere.text);
    assert.match(elsewhere.text, new RegExp(`issued on node ${node()}, not ${other()}`));
  });

  it('refuses a forged token, a token for the API server, and another account', async () => {
    const [h, p] = token(AGENT_SA, ['--audience', AGENT_TOKEN_AUDIENCE]).split('.');
    const forged = await post(
      `${h}.${p}.${Buffer.from('not the signature').toString('base64url')}`,
      summary(node()),
    );
    assert.equal(forged.status, 401, forged.text);
    const apiAudience = await post(token(AGENT_SA), summary(node()));
    assert.equal(apiAudience.status, 401, apiAudience.text);
    const someoneElse = await post(
      token('someone-else', ['--audience', AGENT_TOKEN_AUDIENCE]),
      summary(node()),
    );
    assert.equal(someoneElse.status, 403, someoneElse.text);
    assert.match(someoneElse.text, /not a netdoctor agent/);
  });
});
