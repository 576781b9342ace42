/**
 * charts/netdoctor installed into the real lab with helm (scripts/helm.sh: helm built from its Go
 * module), with netdoctor's image built from this checkout and loaded into every node. Every
 * agent and the controller must become Ready (the controller only once its first diagnosis of
 * the lab is served), the controller's Service must answer /readyz and /api/report through
 * `kubectl port-forward`, as the README tells people to reach it, and the controller's
 * ServiceAccount must be able to read and unable to change the cluster. `helm uninstall` and the
 * namespace's deletion clean up. Skipped, with the reason, when the lab is not running.
 */
import assert from 'node:assert/strict';
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { stringify as stringifyYaml } from 'yaml';
import {
  buildAndLoadNetdoctorImage,
  helm,
  installChartInLab,
  kubectl,
  type LabInfo,
  labOrSkipReason,
  tryOnNode,
  until,
} from './live-lab.ts';

const status = labOrSkipReason();
const skip = 'skip' in status ? status.skip : false;
const lab = ('lab' in status ? status.lab : undefined) as LabInfo;
const NS = `ndt-helm-live-${process.pid}`;
// The release name makes the objects' names, the cluster-wide ones included, this run's own.
const RELEASE = `ndt-helm-${process.pid}`;
const FULL = `${RELEASE}-netdoctor`;
// Not the agent's default port, so an agent DaemonSet another suite left behind cannot collide.
const AGENT_PORT = 9474;

/** `kubectl port-forward` to the controller's Service on a free local port, until stopped. */
async function portForward(): Promise<{ port: number; stop: () => void }> {
  const child: ChildProcess = spawn(
    lab.kubectl,
    ['--kubeconfig', lab.kubeconfig, '-n', NS, 'port-forward', `svc/${FULL}`, ':8080'],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let said = '';
  child.stdout?.on('data', (d: Buffer) => {
    said += d.toString();
  });
  child.stderr?.on('data', (d: Buffer) => {
    said += d.toString();
  });
  const port = () => Number(/Forwarding from 127\.0\.0\.1:(\d+)/.exec(said)?.[1] ?? 0);
  if (!(await until(() => port() > 0 || child.exitCode !== null, 30_000, 200))) child.kill();
  assert.ok(port() > 0, `kubectl port-forward did not start: ${said}`);
  return { port: port(), stop: () => child.kill() };
}

/** `kubectl auth can-i` as the controller's ServiceAccount; `pods/log` asks for the subresource. */
function canI(verb: string, resource: string, namespace?: string): boolean {
  const sa = `system:serviceaccount:${NS}:${FULL}`;
  const where = namespace ? ['-n', namespace] : ['-A'];
  const [kind, sub] = resource.split('/');
  const what = sub ? [kind!, `--subresource=${sub}`] : [resource];
  return kubectl(lab, ['auth', 'can-i', '--as', sa, verb, ...what, ...where]).out.trim() === 'yes';
}

describe('helm install charts/netdoctor (live lab)', { skip, timeout: 1_200_000 }, () => {
  const work = mkdtempSync(join(tmpdir(), 'ndt-helm-image-'));
  before(() => {
    buildAndLoadNetdoctorImage(work);
    installChartInLab(lab, RELEASE, NS, [
      `agent.port=${AGENT_PORT}`,
      'agent.interval=5s',
      'agent.k=2',
      'serve.interval=30s',
    ]);
  });
  after(() => {
    const gone = helm(lab, ['uninstall', RELEASE, '--namespace', NS, '--wait', '--timeout', '120s']);
    if (!gone.ok) console.log(`# helm uninstall: ${gone.out}`);
    kubectl(lab, ['delete', 'namespace', NS, '--wait=true', '--timeout=120s', '--ignore-not-found']);
    rmSync(work, { recursive: true, force: true });
  });

  it('brings every agent and the controller to Ready', () => {
    const agents = kubectl(lab, ['-n', NS, 'rollout', 'status', `daemonset/${FULL}-agent`, '--timeout=180s']);
    assert.ok(agents.ok, `${agents.out}${agents.err}`);
    // Ready only once its first diagnosis of the lab is served.
    const serve = kubectl(lab, ['-n', NS, 'rollout', 'status', `deployment/${FULL}`, '--timeout=400s']);
    const logs = serve.ok ? '' : kubectl(lab, ['-n', NS, 'logs', `deployment/${FULL}`, '--tail=40']).out;
    assert.ok(serve.ok, `${serve.out}${serve.err}\n${logs}`);
    const pods = JSON.parse(
      kubectl(lab, ['-n', NS, 'get', 'pods', '-l', `app.kubernetes.io/instance=${RELEASE}`, '-o', 'json'])
        .out,
    ) as {
      items: { metadata: { name: string }; status: { conditions?: { type: string; status: string }[] } }[];
    };
    const notReady = pods.items
      .filter((p) => !p.status.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'))
      .map((p) => p.metadata.name);
    assert.equal(pods.items.length, lab.nodes.length + 1);
    assert.deepEqual(notReady, []);
  });

  it("answers /readyz and /api/report on the controller's Service through kubectl port-forward", async () => {
    const fwd = await portForward();
    try {
      const ready = await fetch(`http://127.0.0.1:${fwd.port}/readyz`);
      assert.equal(ready.status, 200, await ready.text());
      const res = await fetch(`http://127.0.0.1:${fwd.port}/api/report`);
      assert.equal(res.status, 200);
      const report = (await res.json()) as { verdict: string };
      assert.ok(['healthy', 'degraded', 'broken', 'inconclusive'].includes(report.verdict), report.verdict);
      console.log(`# serve in the lab: verdict ${report.verdict}`);
    } finally {
      fwd.stop();
    }
  });

  it("serves each agent's metrics on its node, from the peers the chart's ConfigMap lists", async () => {
    const viewer = lab.nodes[0]!;
    for (const n of lab.nodes) {
      const scrape = () =>
        tryOnNode(viewer.holderPid, `curl -sf -m 3 http://${n.nodeIp}:${AGENT_PORT}/metrics`).stdout;
      assert.ok(
        // prom-client puts the default label (node) after the metric's own labels.
        await until(
          () => new RegExp(`^netdoctor_agent_probes_total\\{[^}]*node="${n.name}"`, 'm').test(scrape()),
          90_000,
          1000,
        ),
        `no probes counted by the agent on ${n.name}`,
      );
    }
  });

  it("hears from every node's agent, each summary checked by TokenReview", async () => {
    const fwd = await portForward();
    try {
      const metrics = async () => (await fetch(`http://127.0.0.1:${fwd.port}/metrics`)).text();
      let text = '';
      const allReporting = async () => {
        text = await metrics();
        return lab.nodes.every((n) =>
          new RegExp(`^netdoctor_agent_reporting\\{node="${n.name}"\\} 1$`, 'm').test(text),
        );
      };
      let ok = false;
      for (const stop = Date.now() + 120_000; !ok && Date.now() < stop; ) {
        ok = await allReporting();
        if (!ok) await new Promise((r) => setTimeout(r, 2000));
      }
      assert.ok(
        ok,
        text
          .split('\n')
          .filter((l) => l.startsWith('netdoctor_agent_'))
          .join('\n'),
      );
      assert.match(text, /^netdoctor_agent_reports_received_total\{outcome="forbidden"\} 0$/m);
      const report = (await (await fetch(`http://127.0.0.1:${fwd.port}/api/report`)).json()) as {
        verdict: string;
        gaps: { collector: string; node?: string }[];
      };
      assert.deepEqual(
        report.gaps.filter((g) => g.collector === 'agent'),
        [],
        'a node reads unknown although its agent reports',
      );
      console.log(`# serve with its agents: verdict ${report.verdict}`);
    } finally {
      fwd.stop();
    }
  });

  it('is scraped by a real Prometheus: every agent and the controller up, the alert rules loaded', async () => {
    // The targets are what the chart's ServiceMonitor points the Operator at: the release's
    // Services' EndpointSlices, the agents' `metrics` port and the controller's `http` port,
    // each job named after its Service's name label. Debian's Prometheus is built without
    // Kubernetes discovery, so the test reads the slices and hands Prometheus the addresses.
    // Prometheus runs in the network of the controller's node: the chart's NetworkPolicy admits
    // the release's pods and the node a pod runs on, and the agents listen on their nodes' addresses.
    const where = kubectl(lab, [
      '-n',
      NS,
      'get',
      'pods',
      '-l',
      'app.kubernetes.io/name=netdoctor-serve',
      '-o',
      'jsonpath={.items[0].spec.nodeName}',
    ]).out.trim();
    const node = lab.nodes.find((n) => n.name === where);
    assert.ok(node, `the controller runs on no lab node (${where})`);
    type Slice = {
      metadata: { labels?: Record<string, string> };
      ports?: { name?: string; port?: number }[];
      endpoints?: { addresses: string[] }[];
    };
    const slices = JSON.parse(
      kubectl(lab, [
        '-n',
        NS,
        'get',
        'endpointslices',
        '-l',
        `app.kubernetes.io/instance=${RELEASE}`,
        '-o',
        'json',
      ]).out,
    ) as { items: Slice[] };
    const wanted: Record<string, string> = { 'netdoctor-agent': 'metrics', 'netdoctor-serve': 'http' };
    const targets = new Map<string, string[]>();
    for (const sl of slices.items) {
      const job = sl.metadata.labels?.['app.kubernetes.io/name'] ?? '';
      const port = sl.ports?.find((p) => p.name === wanted[job])?.port;
      if (port === undefined) continue;
      for (const ep of sl.endpoints ?? [])
        for (const a of ep.addresses) targets.set(job, [...(targets.get(job) ?? []), `${a}:${port}`]);
    }
    assert.equal(targets.get('netdoctor-agent')?.length, lab.nodes.length, JSON.stringify([...targets]));
    assert.equal(targets.get('netdoctor-serve')?.length, 1, JSON.stringify([...targets]));
    const dir = mkdtempSync(join(tmpdir(), 'ndt-prometheus-'));
    const config = join(dir, 'prometheus.yml');
    writeFileSync(
      config,
      stringifyYaml({
        global: { scrape_interval: '2s', scrape_timeout: '2s', evaluation_interval: '2s' },
        rule_files: [resolve('deploy/prometheus/netdoctor-alerts.yaml')],
        scrape_configs: [...targets].map(([job, list]) => ({
          job_name: job,
          static_configs: [{ targets: list }],
        })),
      }),
    );
    const checked = spawnSync('promtool', ['check', 'config', config], { encoding: 'utf8' });
    assert.equal(checked.status, 0, `${checked.stdout}${checked.stderr}`);
    const PORT = 19_090;
    const prometheus = spawn(
      'nsenter',
      [
        '-t',
        String(node.holderPid),
        '-n',
        'prometheus',
        `--config.file=${config}`,
        `--storage.tsdb.path=${join(dir, 'data')}`,
        `--web.listen-address=127.0.0.1:${PORT}`,
      ],
      { stdio: ['ignore', 'ignore', 'pipe'], detached: true },
    );
    let log = '';
    prometheus.stderr?.on('data', (d: Buffer) => {
      log = `${log}${d.toString()}`.slice(-4000);
    });
    const api = (path: string) =>
      tryOnNode(node.holderPid, `curl -sf -m 3 'http://127.0.0.1:${PORT}${path}'`).stdout;
    try {
      type Target = { labels: { job: string; instance: string }; health: string; lastError: string };
      let targets: Target[] = [];
      const allUp = () => {
        try {
          targets = (JSON.parse(api('/api/v1/targets?state=active')) as { data: { activeTargets: Target[] } })
            .data.activeTargets;
        } catch {
          return false;
        }
        return targets.length === lab.nodes.length + 1 && targets.every((t) => t.health === 'up');
      };
      assert.ok(
        await until(allUp, 90_000, 1000),
        `targets: ${JSON.stringify(targets.map((t) => [t.labels.job, t.labels.instance, t.health, t.lastError]))}\n${log}`,
      );
      const perJob = spawnSync(
        'nsenter',
        [
          '-t',
          String(node.holderPid),
          '-n',
          'promtool',
          'query',
          'instant',
          `http://127.0.0.1:${PORT}`,
          'count by (job) (up == 1)',
        ],
        { encoding: 'utf8' },
      );
      assert.equal(perJob.status, 0, perJob.stderr);
      assert.match(perJob.stdout, new RegExp(`\\{job="netdoctor-agent"\\} => ${lab.nodes.length} @`));
      assert.match(perJob.stdout, /\{job="netdoctor-serve"\} => 1 @/);
      const series = () =>
        api(
          `/api/v1/query?query=${encodeURIComponent('count(netdoctor_agent_probes_total{job="netdoctor-agent"})')}`,
        );
      assert.ok(
        await until(() => /"result":\[\{/.test(series()), 30_000, 1000),
        `no agent probe counters in Prometheus: ${series()}`,
      );
      const rules = JSON.parse(api('/api/v1/rules')) as {
        data: { groups: { rules: { name: string; health: string; lastError?: string }[] }[] };
      };
      const loaded = rules.data.groups.flatMap((g) => g.rules);
      assert.ok(loaded.length >= 6, JSON.stringify(loaded));
      assert.deepEqual(
        loaded.filter((r) => r.health === 'err').map((r) => `${r.name}: ${r.lastError}`),
        [],
      );
      console.log(`# Prometheus scrapes ${targets.length} targets, all up`);
    } finally {
      try {
        process.kill(-prometheus.pid!, 'SIGKILL');
      } catch {
        // already gone
      }
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('leaves the controller able to read the cluster and unable to change it', () => {
    for (const r of [
      'nodes',
      'pods',
      'services',
      'endpointslices.discovery.k8s.io',
      'networkpolicies.networking.k8s.io',
    ])
      for (const verb of ['list', 'watch']) assert.ok(canI(verb, r), `cannot ${verb} ${r}`);
    assert.ok(canI('get', 'pods/log', 'kube-system'));
    for (const verb of ['create', 'update', 'patch', 'delete'])
      for (const r of [
        'pods',
        'daemonsets.apps',
        'deployments.apps',
        'configmaps',
        'networkpolicies.networking.k8s.io',
      ])
        assert.equal(canI(verb, r, 'kube-system'), false, `can ${verb} ${r} in kube-system`);
    assert.equal(canI('create', 'pods/exec', NS), false);
    // A TokenReview asks the API server about an agent's token; nothing is stored.
    assert.ok(canI('create', 'tokenreviews.authentication.k8s.io'));
    for (const r of ['serviceaccounts/token', 'secrets', 'rolebindings.rbac.authorization.k8s.io'])
      assert.equal(canI('create', r, 'kube-system'), false, `can create ${r}`);
    // Its own pods, and only in its namespace.
    assert.ok(canI('create', 'pods', NS));
    assert.equal(canI('update', 'pods', NS), false);
  });
});
