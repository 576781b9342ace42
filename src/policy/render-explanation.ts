import type {
  DirectFlowExplanation,
  DirectionVerdict,
  EndpointSummary,
  FlowExplanation,
  NearMiss,
  RuleRef,
} from './flow-types.ts';

function endpoint(e: EndpointSummary): string {
  if (e.kind === 'ip') return e.ip;
  return `${e.namespace}/${e.name}${e.ip ? ` (${e.ip})` : ''}${e.hostNetwork ? ' [hostNetwork]' : ''}`;
}

/** `default/allow-web egress[0] peer 1 port 0`. */
export function describeRuleRef(r: RuleRef): string {
  let s = `${r.policy.namespace}/${r.policy.name} ${r.direction}[${r.rule}]`;
  if (r.peer !== undefined) s += ` ${r.direction === 'ingress' ? 'from' : 'to'}[${r.peer}]`;
  if (r.port !== undefined) s += ` ports[${r.port}]`;
  return s;
}

export function describeNearMiss(m: NearMiss): string {
  switch (m.kind) {
    case 'label':
      return `${describeRuleRef(m.at)} would match if the ${m.selector} requirement ${m.requirement} held (the peer has ${m.actual})`;
    case 'namespace':
      return `${describeRuleRef(m.at)}: the podSelector matches, but the peer is in namespace ${m.peerNamespace} and the rule has no namespaceSelector (it only selects pods in ${m.at.policy.namespace})`;
    case 'port':
      return `${describeRuleRef(m.at)} matches the peer but allows only ${m.allowedPorts.join(', ')}`;
    case 'ip-excepted':
      return `${describeRuleRef(m.at)}: the address is in ${m.cidr} but excluded by except ${m.except}`;
    case 'policy-selector':
      return `${describeRuleRef(m.at)} would allow this, but the policy's podSelector requires ${m.requirement} (the pod has ${m.actual})`;
  }
}

function direction(name: string, v: DirectionVerdict): string[] {
  const head = `  ${name}: ${v.verdict.toUpperCase()}`;
  switch (v.reason) {
    case 'not-isolated':
      return [`${head}: no policy selects the pod for ${name}, so it is not isolated`];
    case 'not-applicable':
      return [`${head}: ${v.note}`];
    case 'rule-allows':
      return [
        `${head}: isolated by ${v.isolatingPolicies.map((p) => p.name).join(', ')}; allowed by`,
        ...v.by.map((r) => `    - ${describeRuleRef(r)}`),
      ];
    case 'isolated-no-rule-allows': {
      const lines = [
        `${head}: isolated by ${v.isolatingPolicies.map((p) => `${p.namespace}/${p.name}`).join(', ')}; no rule allows this flow`,
      ];
      if (v.nearMisses.length > 0) {
        lines.push('    near misses:');
        for (const m of v.nearMisses) lines.push(`    - ${describeNearMiss(m)}`);
      }
      return lines;
    }
  }
}

function direct(e: DirectFlowExplanation, indent = ''): string[] {
  const lines = [
    `${endpoint(e.from)} -> ${endpoint(e.to)} ${e.port}/${e.protocol}: ${e.verdict.toUpperCase()}`,
    ...direction('egress at source', e.egress),
    ...direction('ingress at destination', e.ingress),
    ...e.notes.map((n) => `  note: ${n}`),
  ];
  return lines.map((l) => indent + l);
}

/** The text form of `netdoctor policy explain`. */
export function renderExplanation(e: FlowExplanation): string {
  switch (e.kind) {
    case 'unresolved':
      return `UNKNOWN: ${e.reason}\n`;
    case 'direct':
      return `${direct(e).join('\n')}\n`;
    case 'service': {
      const s = e.service;
      const lines = [
        `Service ${s.namespace}/${s.name}${s.clusterIP ? ` (${s.clusterIP})` : ''} ${e.port}/${e.protocol}: ${e.verdict.toUpperCase()}` +
          ` (${e.backends.filter((b) => b.verdict === 'allowed').length}/${e.backends.length} backends allowed)`,
        ...e.notes.map((n) => `  note: ${n}`),
      ];
      for (const b of e.backends) lines.push('', ...direct(b, '  '));
      return `${lines.join('\n')}\n`;
    }
  }
}
