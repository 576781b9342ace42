/**
 * The latest summary from each node's agent, and when it arrived. Bounded: past `maxNodes`
 * nodes a summary from a node not yet known is refused rather than kept, so no sender can grow
 * the controller's memory without end (a cluster has at most a few thousand nodes).
 */
import type { AgentSummary } from '../agent/agent-summary.ts';

export interface AgentRecord {
  summary: AgentSummary;
  /** Epoch ms when the controller accepted it. */
  receivedAt: number;
}

export type AcceptOutcome = 'accepted' | 'older' | 'full';

export class AgentRoster {
  readonly #byNode = new Map<string, AgentRecord>();
  readonly #maxNodes: number;

  constructor(maxNodes = 10_000) {
    this.#maxNodes = maxNodes;
  }

  /** Keeps the summary unless the node's kept one is newer (a late delivery) or the roster is full. */
  accept(summary: AgentSummary, receivedAt: number): AcceptOutcome {
    const kept = this.#byNode.get(summary.node);
    if (kept === undefined && this.#byNode.size >= this.#maxNodes) return 'full';
    if (kept && Date.parse(kept.summary.at) > Date.parse(summary.at)) return 'older';
    this.#byNode.set(summary.node, { summary, receivedAt });
    return 'accepted';
  }

  /** The node's latest summary, if its agent ever reported. */
  get(node: string): AgentRecord | undefined {
    return this.#byNode.get(node);
  }

  records(): AgentRecord[] {
    return [...this.#byNode.values()];
  }
}
