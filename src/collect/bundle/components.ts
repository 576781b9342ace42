/**
 * The browse-only component summaries of a bundle (layout.ts COMPONENT_FILES): what the seeds'
 * diagnosis collected by hand with kubectl (CoreDNS status and Corefile, kube-proxy, the CNI
 * DaemonSet and its config, kube-system events, DNS test results), rendered from the snapshot
 * so a person can read them without netdoctor. They are derived and never read back.
 */
import type {
  ClusterState,
  ContainerState,
  K8sConfigMap,
  K8sDaemonSet,
  K8sEvent,
  K8sPod,
} from '../../core/cluster-types.ts';
import { selectorMatches } from '../../core/labels.ts';
import type { ProbeResult, ProbeResults } from '../../core/probe-types.ts';
import { COMPONENT_FILES } from './layout.ts';
import { logPathForKey } from './log-paths.ts';
import { textTable } from './text-table.ts';

const SYSTEM_NS = 'kube-system';

/** DaemonSet names of the CNIs netdoctor knows; their pods and config go into cni.txt. */
const CNI_DAEMONSET = /flannel|calico|cilium|canal|weave|antrea/i;

/** Renders every component file: bundle path -> text. */
export function renderComponentFiles(
  cluster: ClusterState,
  probes: ProbeResults | undefined,
): Record<string, string> {
  return {
    [COMPONENT_FILES.coredns]: renderCoreDns(cluster),
    [COMPONENT_FILES.kubeProxy]: renderKubeProxy(cluster),
    [COMPONENT_FILES.cni]: renderCni(cluster),
    [COMPONENT_FILES.dnsTests]: renderDnsTests(probes),
    [COMPONENT_FILES.events]: renderSystemEvents(cluster),
  };
}

/** CoreDNS pods (status table and describe-like detail), the kube-dns Service's endpoints, the Corefile. */
export function renderCoreDns(cluster: ClusterState): string {
  const pods = podsWithLabel(cluster, SYSTEM_NS, 'k8s-app', 'kube-dns');
  const cm = findConfigMap(cluster, SYSTEM_NS, 'coredns');
  const out = [heading('CoreDNS pods (kube-system, k8s-app=kube-dns)'), podTable(pods)];
  out.push(heading('kube-dns endpoints'), dnsEndpoints(cluster));
  out.push(heading('Pod details'), ...pods.map((p) => describePod(p, cluster)));
  out.push(heading('Corefile (ConfigMap kube-system/coredns)'));
  out.push(cm?.data?.['Corefile'] ?? '(ConfigMap kube-system/coredns not collected or has no Corefile)\n');
  return out.join('\n');
}

/** kube-proxy pods, DaemonSet and configuration. */
export function renderKubeProxy(cluster: ClusterState): string {
  const pods = podsWithLabel(cluster, SYSTEM_NS, 'k8s-app', 'kube-proxy');
  const ds = cluster.daemonSets.filter((d) => d.metadata.name === 'kube-proxy');
  const cm = findConfigMap(cluster, SYSTEM_NS, 'kube-proxy');
  const out = [heading('kube-proxy DaemonSet'), daemonSetTable(ds)];
  out.push(heading('kube-proxy pods (kube-system, k8s-app=kube-proxy)'), podTable(pods));
  out.push(heading('Pod details'), ...pods.map((p) => describePod(p, cluster)));
  out.push(heading('Configuration (ConfigMap kube-system/kube-proxy, config.conf)'));
  out.push(cm?.data?.['config.conf'] ?? '(not collected)\n');
  return out.join('\n');
}

/** The CNI's DaemonSets, their pods and flannel's net-conf.json / cni-conf.json. */
export function renderCni(cluster: ClusterState): string {
  const sets = cluster.daemonSets.filter((d) => CNI_DAEMONSET.test(d.metadata.name));
  const out = [heading('CNI DaemonSets'), sets.length ? daemonSetTable(sets) : '(no CNI DaemonSet found)\n'];
  for (const ds of sets) {
    const pods = cluster.pods.filter(
      (p) => p.metadata.namespace === ds.metadata.namespace && ownedOrSelected(p, ds),
    );
    out.push(heading(`Pods of DaemonSet ${ds.metadata.namespace ?? ''}/${ds.metadata.name}`), podTable(pods));
    out.push(...pods.map((p) => describePod(p, cluster)));
  }
  for (const cm of cluster.configMaps.filter((c) => c.metadata.name === 'kube-flannel-cfg')) {
    const where = `${cm.metadata.namespace ?? ''}/${cm.metadata.name}`;
    out.push(
      heading(`net-conf.json (ConfigMap ${where})`),
      ensureNewline(cm.data?.['net-conf.json'] ?? '(absent)'),
    );
    out.push(
      heading(`cni-conf.json (ConfigMap ${where})`),
      ensureNewline(cm.data?.['cni-conf.json'] ?? '(absent)'),
    );
  }
  return out.join('\n');
}

/** DNS probe results as a table. */
export function renderDnsTests(probes: ProbeResults | undefined): string {
  const dns = (probes?.results ?? []).filter((r) => r.scenario === 'dns-udp' || r.scenario === 'dns-tcp');
  if (!probes) return 'No probes were run (e.g. --no-probes), so there are no DNS test results.\n';
  if (dns.length === 0) return `Probes ran at ${probes.startedAt} but none tested DNS.\n`;
  const rows = dns.map((r) => [r.id, endpoint(r.from), endpoint(r.to), r.expect, outcome(r), detail(r)]);
  const failed = dns.filter((r) => r.outcome.status === 'fail').length;
  return (
    `DNS tests run at ${probes.startedAt}: ${dns.length} probes, ${failed} failed.\n\n` +
    textTable(['ID', 'FROM', 'TO', 'EXPECT', 'RESULT', 'DETAIL'], rows)
  );
}

/** kube-system events, oldest first, as `kubectl get events --sort-by` shows them. */
export function renderSystemEvents(cluster: ClusterState): string {
  const events = cluster.events
    .filter((e) => (e.metadata.namespace ?? e.involvedObject.namespace) === SYSTEM_NS)
    .sort((a, b) => eventTime(a).localeCompare(eventTime(b)));
  if (events.length === 0) return 'No kube-system events were collected.\n';
  const rows = events.map((e) => [
    eventTime(e) || '<unknown>',
    e.type ?? '',
    e.reason ?? '',
    `${(e.involvedObject.kind ?? '').toLowerCase()}/${e.involvedObject.name ?? ''}`,
    String(e.count ?? 1),
    e.message ?? '',
  ]);
  return textTable(['LAST SEEN', 'TYPE', 'REASON', 'OBJECT', 'COUNT', 'MESSAGE'], rows);
}

function heading(title: string): string {
  return `== ${title} ==`;
}

function ensureNewline(s: string): string {
  return s.endsWith('\n') ? s : `${s}\n`;
}

function podsWithLabel(cluster: ClusterState, ns: string, key: string, value: string): K8sPod[] {
  return cluster.pods.filter((p) => p.metadata.namespace === ns && p.metadata.labels?.[key] === value);
}

function findConfigMap(cluster: ClusterState, ns: string, name: string): K8sConfigMap | undefined {
  return cluster.configMaps.find((c) => c.metadata.namespace === ns && c.metadata.name === name);
}

function ownedOrSelected(pod: K8sPod, ds: K8sDaemonSet): boolean {
  const owners = pod.metadata.ownerReferences ?? [];
  if (owners.some((o) => o.kind === 'DaemonSet' && o.name === ds.metadata.name)) return true;
  return owners.length === 0 && selectorMatches(ds.spec.selector, pod.metadata.labels);
}

function daemonSetTable(sets: K8sDaemonSet[]): string {
  const rows = sets.map((d) => [
    d.metadata.namespace ?? '',
    d.metadata.name,
    String(d.status?.desiredNumberScheduled ?? '?'),
    String(d.status?.currentNumberScheduled ?? '?'),
    String(d.status?.numberReady ?? '?'),
    String(d.status?.numberAvailable ?? '?'),
  ]);
  return textTable(['NAMESPACE', 'NAME', 'DESIRED', 'CURRENT', 'READY', 'AVAILABLE'], rows);
}

function podTable(pods: K8sPod[]): string {
  if (pods.length === 0) return '(no pods found)\n';
  const rows = pods.map((p) => {
    const cs = p.status.containerStatuses ?? [];
    const ready = `${cs.filter((c) => c.ready).length}/${p.spec.containers.length}`;
    const restarts = cs.reduce((n, c) => n + c.restartCount, 0);
    return [
      p.metadata.name,
      ready,
      podStatus(p),
      String(restarts),
      p.spec.nodeName ?? '<none>',
      p.status.podIP ?? '<none>',
    ];
  });
  return textTable(['NAME', 'READY', 'STATUS', 'RESTARTS', 'NODE', 'IP'], rows);
}

/** kubectl's STATUS column: a waiting or terminated container's reason wins over the phase. */
function podStatus(pod: K8sPod): string {
  for (const c of pod.status.containerStatuses ?? []) {
    if (c.state?.waiting?.reason) return c.state.waiting.reason;
    if (c.state?.terminated?.reason) return c.state.terminated.reason;
  }
  return pod.status.reason ?? pod.status.phase ?? 'Unknown';
}

function describeState(label: string, state: ContainerState | undefined): string[] {
  const pad = (k: string): string => `${k}:`.padEnd(16);
  if (state?.running)
    return [`    ${pad(label)}Running`, `      ${pad('Started')}${state.running.startedAt ?? ''}`];
  if (state?.waiting) {
    const lines = [`    ${pad(label)}Waiting`, `      ${pad('Reason')}${state.waiting.reason ?? ''}`];
    if (state.waiting.message) lines.push(`      ${pad('Message')}${state.waiting.message}`);
    return lines;
  }
  if (state?.terminated) {
    const t = state.terminated;
    const lines = [`    ${pad(label)}Terminated`, `      ${pad('Reason')}${t.reason ?? ''}`];
    lines.push(`      ${pad('Exit Code')}${t.exitCode ?? ''}`);
    if (t.finishedAt) lines.push(`      ${pad('Finished')}${t.finishedAt}`);
    if (t.message) lines.push(`      ${pad('Message')}${t.message}`);
    return lines;
  }
  return label === 'State' ? [`    ${pad(label)}<unknown>`] : [];
}

/** A `kubectl describe pod`-like block, with the pod's own events and where its logs are. */
function describePod(pod: K8sPod, cluster: ClusterState): string {
  const ns = pod.metadata.namespace ?? '';
  const f = (k: string, v: string): string => `${`${k}:`.padEnd(14)}${v}`;
  const lines = [
    f('Name', pod.metadata.name),
    f('Namespace', ns),
    f('Node', `${pod.spec.nodeName ?? '<none>'}${pod.status.hostIP ? `/${pod.status.hostIP}` : ''}`),
    f('Status', podStatus(pod)),
    f('IP', pod.status.podIP ?? '<none>'),
    'Containers:',
  ];
  for (const c of pod.spec.containers) {
    const st = pod.status.containerStatuses?.find((s) => s.name === c.name);
    lines.push(`  ${c.name}:`, `    ${'Image:'.padEnd(16)}${c.image ?? ''}`);
    lines.push(...describeState('State', st?.state), ...describeState('Last State', st?.lastState));
    lines.push(`    ${'Ready:'.padEnd(16)}${st ? (st.ready ? 'True' : 'False') : '<unknown>'}`);
    lines.push(`    ${'Restart Count:'.padEnd(16)}${st?.restartCount ?? 0}`);
    const base = `${ns}/${pod.metadata.name}/${c.name}`;
    const logs = [base, `${base}/previous`]
      .filter((k) => Object.hasOwn(cluster.logs, k))
      .map((k) => logPathForKey(k) ?? k);
    if (logs.length) lines.push(`    ${'Logs:'.padEnd(16)}${logs.join(', ')}`);
  }
  lines.push('Conditions:');
  const conds = pod.status.conditions ?? [];
  lines.push(
    conds.length
      ? textTable(
          ['Type', 'Status'],
          conds.map((c) => [c.type, c.status]),
        )
          .trimEnd()
          .split('\n')
          .map((l) => `  ${l}`)
          .join('\n')
      : '  <none>',
  );
  const events = cluster.events
    .filter((e) => e.involvedObject.name === pod.metadata.name && (e.involvedObject.namespace ?? ns) === ns)
    .sort((a, b) => eventTime(a).localeCompare(eventTime(b)));
  lines.push('Events:');
  lines.push(
    events.length
      ? textTable(
          ['Type', 'Reason', 'Last Seen', 'Message'],
          events.map((e) => [e.type ?? '', e.reason ?? '', eventTime(e), e.message ?? '']),
        )
          .trimEnd()
          .split('\n')
          .map((l) => `  ${l}`)
          .join('\n')
      : '  <none>',
  );
  return `${lines.join('\n')}\n`;
}

function eventTime(e: K8sEvent): string {
  return e.lastTimestamp ?? e.eventTime ?? e.metadata.creationTimestamp ?? '';
}

function dnsEndpoints(cluster: ClusterState): string {
  const slices = cluster.endpointSlices.filter(
    (s) =>
      s.metadata.namespace === SYSTEM_NS && s.metadata.labels?.['kubernetes.io/service-name'] === 'kube-dns',
  );
  const svc = cluster.services.find(
    (s) => s.metadata.namespace === SYSTEM_NS && s.metadata.name === 'kube-dns',
  );
  const head = svc
    ? `Service kube-system/kube-dns ClusterIP ${svc.spec.clusterIP ?? '<none>'}\n`
    : 'Service kube-system/kube-dns not found\n';
  const rows = slices.flatMap((s) =>
    (s.endpoints ?? []).map((e) => [
      e.addresses.join(','),
      e.conditions?.ready === false ? 'false' : 'true',
      e.nodeName ?? '',
      e.targetRef?.name ?? '',
    ]),
  );
  return head + (rows.length ? textTable(['ADDRESSES', 'READY', 'NODE', 'POD'], rows) : '(no endpoints)\n');
}

function endpoint(e: ProbeResult['from']): string {
  const who = [e.node, e.pod].filter(Boolean).join('/');
  const where = e.ip ? `${e.ip}${e.port ? `:${e.port}` : ''}` : '';
  return [e.name, who, where].filter(Boolean).join(' @ ') || '?';
}

function outcome(r: ProbeResult): string {
  const o = r.outcome;
  switch (o.status) {
    case 'pass':
      return o.rttMs === undefined ? 'pass' : `pass (${o.rttMs} ms)`;
    case 'fail':
      return `FAIL ${o.error}`;
    case 'skipped':
      return 'skipped';
    case 'error':
      return 'error';
  }
}

function detail(r: ProbeResult): string {
  const o = r.outcome;
  switch (o.status) {
    case 'pass':
    case 'fail':
      return o.detail ?? '';
    case 'skipped':
      return o.reason;
    case 'error':
      return o.error;
  }
}
