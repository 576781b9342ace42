import type { NodeDatapath } from '../../core/datapath-types.ts';
import type { Finding } from '../../core/model.ts';
import type { NodeResult, Rule, RuleContext } from '../rule.ts';
import { lacksPart, makeFinding, needsNodes, nodeSource, nodeSubject } from './support/datapath.ts';

const KEY = 'net.ipv4.ip_forward';

/** net.ipv4.ip_forward must be 1 on every node that routes pod traffic. */
export const nodeIpForwardDisabled: Rule = {
  id: 'node-ip-forward-disabled',
  layer: 'node',
  needs: { node: ['sysctls'] },
  title: 'IPv4 forwarding enabled',
  why: 'With ip_forward off the kernel drops every packet it would route between pods, the overlay and the outside: the node goes dark for cross-node and external traffic.',
  appliesTo: needsNodes,
  runNode: (_ctx: RuleContext, dp: NodeDatapath): NodeResult => {
    const name = dp.name;
    const skip = lacksPart(dp, 'sysctls');
    if (skip) return skip;
    const out: Finding[] = [];
    const v = dp.sysctls?.[KEY];
    if (v === undefined || v.trim() !== '0') return out;
    out.push(
      makeFinding(nodeIpForwardDisabled, nodeSubject(name), {
        severity: 'critical',
        summary: `IPv4 forwarding is off on ${name}`,
        evidence: [{ source: nodeSource(name, 'sysctls'), observed: `${KEY} = 0`, expected: `${KEY} = 1` }],
        cause: {
          category: 'node.ip-forward-disabled',
          confidence: 0.95,
          remediation: ['enable-ip-forward'],
        },
        nextCommands: [`sysctl ${KEY}`, `grep -r ip_forward /etc/sysctl.conf /etc/sysctl.d/`],
      }),
    );

    return out;
  },
};
