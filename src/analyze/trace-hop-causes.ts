/**
 * Which root-cause category a broken trace hop names. The tracer says where a packet dies; this
 * table says what that place means in the vocabulary, so a fault outside the catalog still gets
 * a name a person (and `fix`) can act on.
 */
import { CNI_ADAPTERS } from '../cni/index.ts';
import type { Layer, RootCauseCategory } from '../core/model.ts';
import type { StepId } from '../core/step-id.ts';
import type { TraceHop } from '../datapath/trace-types.ts';
import { STEP } from './remediation.ts';

/** What a broken hop means: the category, its layer, how sure, and the repair that fits. */
export interface HopCause {
  category: RootCauseCategory;
  layer: Layer;
  confidence: number;
  remediation: StepId[];
  /**
   * What makes two broken hops the same fault (a rule's text, a route's destination), so the
   * traces of many probes that die at one rule make one cause.
   */
  key: string;
}

/** The repair step that deletes one traced firewall rule (remediate/steps). */
export const DELETE_FIREWALL_RULE: StepId = 'delete-firewall-rule';

/** Chains a controller owns: a drop there is the controller's decision, judged by its own rules. */
const CONTROLLER_CHAIN = new RegExp(`^(KUBE-|${CNI_ADAPTERS.map((a) => a.datapath.chainPrefix).join('|')})`);

/**
 * The cause a broken hop names, or undefined when the hop is not a fault of the datapath (a
 * probe pod already gone) or belongs to a controller whose own rules judge it.
 */
export function causeOfHop(hop: TraceHop): HopCause | undefined {
  if (hop.status !== 'broken') return undefined;
  switch (hop.kind) {
    case 'filter': {
      if (hop.backend === 'nftables')
        // netdoctor edits only iptables rules: the evidence names the nft rule to change.
        return {
          category: 'node.firewall-drops-traffic',
          layer: 'node',
          confidence: hop.rule ? 0.9 : 0.75,
          remediation: [],
          key: `nft|${hop.table}|${hop.chain}|${hop.rule ?? 'policy'}`,
        };
      const chain = hop.rule ? /^-A (\S+)/.exec(hop.rule)?.[1] : hop.chain;
      if (chain && CONTROLLER_CHAIN.test(chain)) return undefined;
      if (hop.inactiveBackend && !hop.rule)
        // A DROP policy in the backend kube-proxy does not program: the node's rules are split.
        // A named rule there is judged like any other: it is that rule, in whichever backend,
        // that drops the traffic, and deleting it is the repair.
        return {
          category: 'node.iptables-backend-mixed',
          layer: 'node',
          confidence: 0.85,
          remediation: ['align-iptables-backend'],
          key: `${hop.backend}|${hop.table}|${hop.rule ?? `${hop.chain} policy`}`,
        };
      return {
        category: 'node.firewall-drops-traffic',
        layer: 'node',
        // A named rule is proof; a chain policy may be a deliberate default the node relies on.
        confidence: hop.rule ? 0.9 : 0.75,
        remediation: hop.rule ? [DELETE_FIREWALL_RULE] : [],
        key: `${hop.backend ?? ''}|${hop.table}|${hop.rule ?? `${hop.chain} policy`}`,
      };
    }
    case 'underlay':
      // A hook on the way out drops the encapsulated packet (no underlay route is another fault).
      return hop.vxlanBlocked ? overlayPort(hop.to) : undefined;
    case 'peer-node':
      if (hop.vxlanBlocked) return overlayPort(hop.peer);
      if (hop.misdirected)
        return {
          category: 'overlay.fdb-missing',
          layer: 'overlay',
          confidence: 0.85,
          remediation: [STEP.restartCniAgent],
          key: `peer|${hop.peer}`,
        };
      return undefined;
    case 'vxlan-neighbour':
    case 'vxlan-fdb':
      return {
        category: 'overlay.fdb-missing',
        layer: 'overlay',
        confidence: 0.85,
        remediation: [STEP.restartCniAgent],
        key: `${hop.kind}|${hop.dev}`,
      };
    case 'node-route':
      if (hop.forwardingOff)
        return {
          category: 'node.ip-forward-disabled',
          layer: 'node',
          confidence: 0.9,
          remediation: ['enable-ip-forward'],
          key: 'ip_forward',
        };
      if (hop.policyRule || hop.rpFilter)
        return {
          category: 'node.routing-policy-wrong',
          layer: 'node',
          confidence: 0.85,
          // netdoctor did not write the rule or the sysctl; the evidence says what to change.
          remediation: [],
          key: `policy|${hop.policyRule ?? 'rp_filter'}`,
        };
      return {
        category: 'cni.routes-missing',
        layer: 'cni',
        confidence: 0.8,
        remediation: [STEP.restartCniAgent],
        // One cause per missing subnet, however many of its pods the probes went to.
        key: `route|${hop.want ?? hop.dst}`,
      };
    case 'veth-bridge':
      if (!hop.bridge) return undefined;
      return {
        category: 'cni.bridge-address-mismatch',
        layer: 'cni',
        confidence: 0.8,
        remediation: ['reset-cni-bridge'],
        key: `bridge|${hop.bridge}`,
      };
    case 'service-dnat':
      // A Service with no endpoints is the Service's (or its pods') fault, judged by its rules.
      if (hop.problem !== 'no-chain' && hop.problem !== 'no-rule') return undefined;
      return {
        category: 'proxy.rules-missing',
        layer: 'proxy',
        confidence: 0.75,
        remediation: [STEP.restartKubeProxy],
        key: `service|${hop.service}`,
      };
    case 'egress-nat':
      return {
        category: 'node.masquerade-missing',
        layer: 'node',
        confidence: 0.85,
        remediation: ['restore-masquerade'],
        key: 'masquerade',
      };
    default:
      // source-pod and delivered: the probe pods themselves, not the network.
      return undefined;
  }
}

function overlayPort(peer: string): HopCause {
  return {
    category: 'overlay.port-blocked',
    layer: 'overlay',
    confidence: 0.85,
    remediation: ['allow-overlay-port'],
    key: `vxlan|${peer}`,
  };
}
