import type { Finding } from '../../core/model.ts';
import type { Rule } from '../rule.ts';
import { makeFinding, needsPart, nodeSource, nodeSubject, nodesInOrder } from './support/datapath.ts';

const KEY = 'net.ipv4.ip_forward';

/** net.ipv4.ip_forward must be 1 on every node that routes pod traffic. */
export const nodeIpForwardDisabled: Rule = {
  id: 'node-ip-forward-disabled',
  layer: 'node',
  title: 'IPv4 forwarding enabled',
  why: 'With ip_forward off the kernel drops every packet it would route between pods, the overlay and the outside: the node goes dark for cross-node and external traffic.',
  appliesTo: (ctx) => needsPart(ctx, 'sysctls'),
  run: (ctx): Finding[] => {
    const out: Finding[] = [];
    for (const { name, dp } of nodesInOrder(ctx)) {
      const v = dp.sysctls?.[KEY];
      if (v === undefined || v.trim() !== '0') continue;
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
    }
    return out;
  },
};
