/**
 * charts/netdoctor, rendered by a real helm (built from its Go module, scripts/helm.sh): it lints,
 * renders with its defaults and with every option on into objects that parse, grants exactly
 * what netdoctor's read path uses (read-only cluster-wide), and starts the agent and serve with
 * arguments the commands accept, the agent as src/agent/agent-manifests.ts builds it.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { parse } from 'yaml';
import { AGENT_NAME, agentManifests } from '../../src/agent/agent-manifests.ts';
import { AGENT_TOKEN_AUDIENCE, DEFAULT_TOKEN_FILE } from '../../src/agent/agent-token.ts';
import { LIST_KINDS, type ListKind } from '../../src/cluster/port.ts';
import { WATCHED_KINDS } from '../../src/cluster/watched-port.ts';
import { flagsOf, parseArgs } from './command-args.ts';
import { CHART, helm, type K8sObject, one, render } from './helm.ts';

const VERSION = (JSON.parse(readFileSync('package.json', 'utf8')) as { version: string }).version;
const ALL_ON = [
  'metrics.serviceMonitor.enabled=true',
  'metrics.prometheusRule.enabled=true',
  'serve.persistence.enabled=true',
];

/** The API group and resource KubePort.list reads for each kind (src/cluster/kube-port.ts). */
const RESOURCE_OF: Record<ListKind, string> = {
  nodes: '/nodes',
  namespaces: '/namespaces',
  pods: '/pods',
  services: '/services',
  endpointSlices: 'discovery.k8s.io/endpointslices',
  daemonSets: 'apps/daemonsets',
  deployments: 'apps/deployments',
  configMaps: '/configmaps',
  networkPolicies: 'networking.k8s.io/networkpolicies',
  events: '/events',
};

interface Rule {
  apiGroups?: string[];
  resources?: string[];
  verbs: string[];
  nonResourceURLs?: string[];
}

/** Every `group/resource:verb` (and `url:verb`) a role's rules grant. */
function grants(role: K8sObject): string[] {
  return (role['rules'] as Rule[])
    .flatMap((r) =>
      r.nonResourceURLs
        ? r.nonResourceURLs.flatMap((u) => r.verbs.map((v) => `${u}:${v}`))
        : (r.apiGroups ?? []).flatMap((g) =>
            (r.resources ?? []).flatMap((res) => r.verbs.map((v) => `${g}/${res}:${v}`)),
          ),
    )
    .sort();
}

interface Container {
  args: string[];
  command?: string[];
  image: string;
  imagePullPolicy: string;
  env?: unknown[];
  readinessProbe?: { httpGet: { path: string; port: number } };
  resources?: unknown;
  securityContext?: Record<string, unknown>;
  volumeMounts?: { name: string; mountPath: string; readOnly?: boolean }[];
}
interface PodSpec {
  [field: string]: unknown;
  containers: Container[];
  volumes: { name: string; hostPath?: { path: string }; configMap?: { name: string } }[];
}
const podOf = (o: K8sObject) => (o['spec'] as { template: { spec: PodSpec } }).template.spec;

/** `--flag value` pairs of an argument list after the command name. */
function pairs(args: readonly string[]): Map<string, string> {
  const out = new Map<string, string>();
  for (let i = 1; i < args.length; i += 2) out.set(args[i]!, args[i + 1] ?? '');
  return out;
}

describe('charts/netdoctor', { timeout: 900_000 }, () => {
  it('passes helm lint --strict, with its defaults and with every option on', () => {
    assert.match(helm(['lint', '--strict', CHART]), /1 chart\(s\) linted, 0 chart\(s\) failed/);
    const sets = ALL_ON.flatMap((s) => ['--set', s]);
    assert.match(helm(['lint', '--strict', CHART, ...sets]), /0 chart\(s\) failed/);
  });

  it('renders with its defaults: every object parses, and each namespaced one is in the release namespace', () => {
    const objects = render();
    assert.deepEqual(objects.map((o) => `${o.kind}/${o.metadata.name}`).sort(), [
      'ClusterRole/netdoctor-read',
      'ClusterRole/netdoctor-tokenreview',
      'ClusterRoleBinding/netdoctor-read',
      'ClusterRoleBinding/netdoctor-tokenreview',
      'ConfigMap/netdoctor-agent-peers',
      'DaemonSet/netdoctor-agent',
      'Deployment/netdoctor',
      'NetworkPolicy/netdoctor-agent',
      'NetworkPolicy/netdoctor-serve',
      'Role/netdoctor-pods',
      'RoleBinding/netdoctor-pods',
      'Service/netdoctor',
      'Service/netdoctor-agent',
      'ServiceAccount/netdoctor',
      'ServiceAccount/netdoctor-agent',
    ]);
    for (const o of objects)
      if (!o.kind.startsWith('Cluster')) assert.equal(o.metadata.namespace, 'netdoctor', o.metadata.name);
  });

  it('renders ServiceMonitors and a PrometheusRule when asked, the rules being deploy/prometheus/netdoctor-alerts.yaml', () => {
    const objects = render(ALL_ON);
    const monitors = objects.filter((o) => o.kind === 'ServiceMonitor').map((o) => o.metadata.name);
    assert.deepEqual(monitors.sort(), ['netdoctor-agent', 'netdoctor-serve']);
    one(objects, 'PersistentVolumeClaim', 'netdoctor-history');
    const rule = one(objects, 'PrometheusRule', 'netdoctor');
    const shipped = parse(readFileSync('deploy/prometheus/netdoctor-alerts.yaml', 'utf8')) as object;
    assert.deepEqual(rule['spec'], shipped);
  });

  it("names the agents' scrape job as the alert rules do, whatever the release is called", () => {
    const objects = render(ALL_ON, 'watch');
    const monitor = one(objects, 'ServiceMonitor', 'watch-netdoctor-agent')['spec'] as { jobLabel: string };
    const service = one(objects, 'Service', 'watch-netdoctor-agent');
    assert.equal(service.metadata.labels?.[monitor.jobLabel], 'netdoctor-agent');
    assert.match(
      readFileSync('deploy/prometheus/netdoctor-alerts.yaml', 'utf8'),
      /up\{job="netdoctor-agent"\}/,
    );
  });

  it('carries the alert rules byte for byte as deploy/prometheus has them (a chart reads nothing outside its directory)', () => {
    assert.equal(
      readFileSync(`${CHART}/files/netdoctor-alerts.yaml`, 'utf8'),
      readFileSync('deploy/prometheus/netdoctor-alerts.yaml', 'utf8'),
      'copy deploy/prometheus/netdoctor-alerts.yaml to charts/netdoctor/files/',
    );
  });

  it('takes appVersion from package.json, and defaults the image to what `make image` builds', () => {
    const chart = parse(readFileSync(`${CHART}/Chart.yaml`, 'utf8')) as { appVersion: string };
    assert.equal(chart.appVersion, VERSION);
    const images = ['DaemonSet', 'Deployment'].map((k) => podOf(one(render(), k)).containers[0]!.image);
    assert.deepEqual(images, [`netdoctor.lab/netdoctor:${VERSION}`, `netdoctor.lab/netdoctor:${VERSION}`]);
  });

  it('grants cluster-wide only reads: list on every kind netdoctor lists, watch on those serve keeps, get on pod logs and /version', () => {
    const role = one(render(), 'ClusterRole', 'netdoctor-read');
    const granted = grants(role);
    for (const g of granted) assert.match(g, /:(get|list|watch)$/, `a read-only role grants ${g}`);
    const expected = [
      ...LIST_KINDS.map((k) => `${RESOURCE_OF[k]}:list`),
      // serve's informers watch every kind they keep (src/cluster/watched-port.ts): all but events.
      ...LIST_KINDS.filter((k) => WATCHED_KINDS.includes(k)).map((k) => `${RESOURCE_OF[k]}:watch`),
      '/pods/log:get',
      '/version:get',
    ].sort();
    assert.deepEqual(granted, expected);
    const binding = one(render(), 'ClusterRoleBinding', 'netdoctor-read');
    assert.deepEqual(binding['subjects'], [
      { kind: 'ServiceAccount', name: 'netdoctor', namespace: 'netdoctor' },
    ]);
  });

  it('grants ConfigMaps only in the namespaces rbac.configMapNamespaces names, when it names any', () => {
    const objects = render(['rbac.configMapNamespaces={kube-system,kube-flannel}']);
    const read = grants(one(objects, 'ClusterRole', 'netdoctor-read'));
    assert.ok(!read.includes('/configmaps:list') && !read.includes('/configmaps:watch'));
    assert.deepEqual(grants(one(objects, 'ClusterRole', 'netdoctor-configmaps')), [
      '/configmaps:list',
      '/configmaps:watch',
    ]);
    const bindings = objects.filter(
      (o) => o.kind === 'RoleBinding' && o.metadata.name === 'netdoctor-configmaps',
    );
    assert.deepEqual(
      bindings.map((b) => b.metadata.namespace),
      ['kube-system', 'kube-flannel'],
    );
    for (const b of bindings) {
      assert.deepEqual(b['roleRef'], {
        apiGroup: 'rbac.authorization.k8s.io',
        kind: 'ClusterRole',
        name: 'netdoctor-configmaps',
      });
      assert.deepEqual(b['subjects'], [
        { kind: 'ServiceAccount', name: 'netdoctor', namespace: 'netdoctor' },
      ]);
    }
  });

  it("limits serve's writes to its own pods and probe Service, in the release namespace", () => {
    const objects = render();
    assert.deepEqual(grants(one(objects, 'Role')), [
      '/pods:create',
      '/pods:delete',
      '/pods:get',
      '/pods:list',
      '/services:create',
      '/services:delete',
      '/services:list',
    ]);
    const deployment = podOf(one(objects, 'Deployment'));
    assert.equal(deployment['serviceAccountName'], 'netdoctor');
    const agent = one(objects, 'ServiceAccount', 'netdoctor-agent');
    assert.equal(agent['automountServiceAccountToken'], false);
  });

  it('starts the agent with arguments `netdoctor agent` accepts, as src/agent/agent-manifests.ts does', async () => {
    const pod = podOf(one(render(), 'DaemonSet'));
    const c = pod.containers[0]!;
    assert.equal(c.args[0], 'agent');
    const known = await flagsOf('agent');
    for (const a of c.args.filter((x) => x.startsWith('--')))
      assert.ok(known.has(a), `netdoctor agent has no ${a}`);
    const flags = await parseArgs(c.args);
    assert.equal(flags['interval'], 30_000);
    assert.equal(flags['k'], 3);
    assert.equal(flags['peersFile'], '/etc/netdoctor/peers');

    const [, , ds] = agentManifests({ namespace: 'netdoctor', image: c.image, intervalSeconds: 30, k: 3 });
    const mirror = podOf(ds as K8sObject);
    const m = mirror.containers[0]!;
    // The chart adds --peers-file (its ConfigMap) to every flag the code's DaemonSet passes.
    const chartArgs = pairs(c.args);
    for (const [flag, value] of pairs(m.args)) assert.equal(chartArgs.get(flag), value, flag);
    for (const field of [
      'hostNetwork',
      'hostPID',
      'dnsPolicy',
      'automountServiceAccountToken',
      'tolerations',
    ])
      assert.deepEqual(pod[field], mirror[field], field);
    assert.equal(pod['serviceAccountName'], AGENT_NAME);
    assert.deepEqual(c.command, m.command);
    assert.deepEqual(c.securityContext, m.securityContext);
    assert.deepEqual(c.env, m.env);
    assert.deepEqual(c.readinessProbe, m.readinessProbe);
    assert.deepEqual(c.resources, m.resources);
    assert.deepEqual(
      c.volumeMounts?.find((v) => v.name === 'host'),
      m.volumeMounts?.find((v) => v.name === 'host'),
    );
    assert.deepEqual(
      pod.volumes.find((v) => v.name === 'host'),
      mirror.volumes.find((v) => v.name === 'host'),
    );
  });

  it('writes agent.peers into the peers file the agents re-read every round', () => {
    const objects = render([
      'agent.peers[0].node=node-b',
      'agent.peers[0].ip=10.0.0.12',
      'agent.peers[1].node=node-a',
      'agent.peers[1].ip=10.0.0.11',
    ]);
    const cm = one(objects, 'ConfigMap', 'netdoctor-agent-peers');
    assert.equal((cm['data'] as { peers: string }).peers, 'node-b=10.0.0.12\nnode-a=10.0.0.11\n');
    const pod = podOf(one(objects, 'DaemonSet'));
    assert.deepEqual(pod.volumes.find((v) => v.name === 'peers')?.configMap, {
      name: 'netdoctor-agent-peers',
    });
    assert.deepEqual(
      pod.containers[0]!.volumeMounts?.find((v) => v.name === 'peers'),
      {
        name: 'peers',
        mountPath: '/etc/netdoctor',
        readOnly: true,
      },
    );
    assert.equal((one(render(), 'ConfigMap')['data'] as { peers: string }).peers, '');
  });

  it('starts serve with arguments `netdoctor serve` accepts, its pods in the release namespace', async () => {
    const c = podOf(one(render(), 'Deployment')).containers[0]!;
    const known = await flagsOf('serve');
    for (const a of c.args.filter((x) => x.startsWith('--')))
      assert.ok(known.has(a), `netdoctor serve has no ${a}`);
    const flags = await parseArgs(c.args);
    assert.equal(flags['host'], '0.0.0.0');
    assert.equal(flags['port'], 8080);
    assert.equal(flags['interval'], 120_000);
    assert.equal(flags['agentNamespace'], 'netdoctor');
    assert.equal(flags['agentImage'], c.image);
    assert.equal(flags['probes'], true);
    assert.equal(c.readinessProbe?.httpGet.path, '/readyz');
    const off = podOf(one(render(['serve.probes=false']), 'Deployment')).containers[0]!;
    assert.equal((await parseArgs(off.args))['probes'], false);
    assert.equal(flags['externalTarget'], undefined);
    const outside = podOf(
      one(
        render(['serve.externalTarget=http://www.example.test/', 'serve.externalName=example.test']),
        'Deployment',
      ),
    ).containers[0]!;
    const o = await parseArgs(outside.args);
    assert.equal(o['externalTarget'], 'http://www.example.test/');
    assert.equal(o['externalName'], 'example.test');
  });

  it('serves inside the cluster only, and admits the agents and serve only from the release namespace', () => {
    const objects = render();
    const svc = one(objects, 'Service', 'netdoctor')['spec'] as { type: string };
    assert.equal(svc.type, 'ClusterIP');
    const headless = one(objects, 'Service', 'netdoctor-agent')['spec'] as Record<string, unknown>;
    assert.equal(headless['clusterIP'], 'None');
    assert.equal(headless['publishNotReadyAddresses'], true);
    const ingressOf = (name: string) =>
      (
        one(objects, 'NetworkPolicy', name)['spec'] as {
          policyTypes: string[];
          ingress: { from?: unknown[]; ports: { port: number }[] }[];
        }
      ).ingress;
    assert.deepEqual(ingressOf('netdoctor-agent'), [
      { from: [{ podSelector: {} }], ports: [{ protocol: 'TCP', port: 9464 }] },
    ]);
    // The summaries port alone is open to the nodes, where the agents' summaries come from.
    assert.deepEqual(ingressOf('netdoctor-serve'), [
      { from: [{ podSelector: {} }], ports: [{ protocol: 'TCP', port: 8080 }] },
      { ports: [{ protocol: 'TCP', port: 8081 }] },
    ]);
    const alone = one(render(['agent.enabled=false']), 'NetworkPolicy', 'netdoctor-serve')['spec'] as {
      ingress: unknown[];
    };
    assert.equal(alone.ingress.length, 1);
    const wider = one(
      render(['networkPolicy.extraFrom[0].namespaceSelector.matchLabels.team=monitoring']),
      'NetworkPolicy',
      'netdoctor-serve',
    )['spec'] as { ingress: { from: unknown[] }[] };
    assert.deepEqual(wider.ingress[0]!.from, [
      { podSelector: {} },
      { namespaceSelector: { matchLabels: { team: 'monitoring' } } },
    ]);
  });

  it("has the agents send their summaries to serve with a token for netdoctor's audience, which serve reviews", async () => {
    const objects = render();
    const agent = podOf(one(objects, 'DaemonSet'));
    const a = await parseArgs(agent.containers[0]!.args);
    assert.equal(a['reportTo'], 'http://netdoctor.netdoctor.svc.cluster.local:8081/api/agent-summary');
    assert.equal(a['tokenFile'], DEFAULT_TOKEN_FILE);
    const mount = agent.containers[0]!.volumeMounts?.find((v) => v.name === 'token');
    assert.equal(`${mount?.mountPath}/token`, DEFAULT_TOKEN_FILE);
    const projected = (
      agent.volumes.find((v) => v.name === 'token') as unknown as {
        projected: { sources: { serviceAccountToken: { audience: string; path: string } }[] };
      }
    ).projected.sources[0]!.serviceAccountToken;
    assert.equal(projected.audience, AGENT_TOKEN_AUDIENCE);
    assert.equal(projected.path, 'token');

    const serve = await parseArgs(podOf(one(objects, 'Deployment')).containers[0]!.args);
    assert.deepEqual(serve['agentServiceAccount'], [{ namespace: 'netdoctor', name: AGENT_NAME }]);
    assert.equal(serve['agentPort'], 8081);
    assert.equal(serve['agentTokenAudience'], AGENT_TOKEN_AUDIENCE);
    const ports = (
      one(objects, 'Service', 'netdoctor')['spec'] as { ports: { name: string; port: number }[] }
    ).ports;
    assert.deepEqual(
      ports.map((p) => `${p.name}:${p.port}`),
      ['http:8080', 'summaries:8081'],
    );
    // Reviewing a token is all serve may create cluster-wide: a question, not a stored object.
    assert.deepEqual(grants(one(objects, 'ClusterRole', 'netdoctor-tokenreview')), [
      'authentication.k8s.io/tokenreviews:create',
    ]);

    // Without the agents there is nothing to review and no summary to send.
    const alone = render(['agent.enabled=false']);
    assert.ok(!alone.some((o) => o.metadata.name === 'netdoctor-tokenreview'));
    const serveAlone = await parseArgs(podOf(one(alone, 'Deployment')).containers[0]!.args);
    assert.deepEqual(serveAlone['agentServiceAccount'], []);
    const agentAlone = podOf(one(render(['serve.enabled=false']), 'DaemonSet')).containers[0]!;
    assert.equal((await parseArgs(agentAlone.args))['reportTo'], undefined);
  });
});
