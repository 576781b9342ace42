/**
 * Who sent a summary: the controller asks the API server (a TokenReview) whether the bearer
 * token is valid and whose it is, and accepts only the agents' ServiceAccount. A token bound to
 * a pod carries the pod's node (the `authentication.kubernetes.io/node-name` extra, Kubernetes
 * 1.30+), so an agent can speak only for its own node; on older clusters the node is unproven
 * and the summary's own node name is taken as given.
 *
 * Reviews are cached by the token's hash for a minute: every agent sends every interval, and
 * thousands of agents must not mean thousands of TokenReviews a minute. A refusal is never
 * cached, so a token that just became valid is not refused for long.
 */
import { createHash } from 'node:crypto';
import { AuthenticationV1Api, type KubeConfig } from '@kubernetes/client-node';

/** An agent's ServiceAccount, `namespace/name`. */
export interface ServiceAccountRef {
  namespace: string;
  name: string;
}

/** What a token proves. */
export type AgentIdentity =
  | { ok: true; username: string; node?: string }
  /** unauthenticated: no valid token (401); forbidden: a valid token of someone else (403). */
  | { ok: false; status: 401 | 403; reason: string };

/** Checks a bearer token; the TokenReview one below, or a test's. */
export interface AgentAuthenticator {
  authenticate(token: string): Promise<AgentIdentity>;
}

/** What the API server answered about a token, before netdoctor's policy. */
export interface TokenFacts {
  authenticated: boolean;
  username?: string;
  extra?: Record<string, string[]>;
  error?: string;
}

export type ReviewToken = (token: string) => Promise<TokenFacts>;

const NODE_NAME_EXTRA = 'authentication.kubernetes.io/node-name';
const CACHE_MS = 60_000;
const CACHE_MAX = 10_000;

export function serviceAccountUsername(sa: ServiceAccountRef): string {
  return `system:serviceaccount:${sa.namespace}:${sa.name}`;
}

/**
 * The API server's TokenReview, through client-node, for a token meant for `audience`: the API
 * server authenticates it only if it was issued for that audience.
 */
export function tokenReviewOf(kc: KubeConfig, audience: string): ReviewToken {
  const api = kc.makeApiClient(AuthenticationV1Api);
  return async (token) => {
    const review = await api.createTokenReview({
      body: {
        apiVersion: 'authentication.k8s.io/v1',
        kind: 'TokenReview',
        spec: { token, audiences: [audience] },
      },
    });
    const st = review.status ?? {};
    return {
      authenticated: st.authenticated === true,
      ...(st.user?.username ? { username: st.user.username } : {}),
      ...(st.user?.extra ? { extra: st.user.extra } : {}),
      ...(st.error ? { error: st.error } : {}),
    };
  };
}

export class TokenReviewAuthenticator implements AgentAuthenticator {
  readonly #review: ReviewToken;
  readonly #allowed: ReadonlySet<string>;
  readonly #now: () => number;
  readonly #cache = new Map<string, { at: number; identity: AgentIdentity & { ok: true } }>();

  constructor(review: ReviewToken, allowed: readonly ServiceAccountRef[], now: () => number = Date.now) {
    this.#review = review;
    this.#allowed = new Set(allowed.map(serviceAccountUsername));
    this.#now = now;
  }

  async authenticate(token: string): Promise<AgentIdentity> {
    const key = createHash('sha256').update(token).digest('hex');
    const hit = this.#cache.get(key);
    if (hit && this.#now() - hit.at < CACHE_MS) return hit.identity;
    let facts: TokenFacts;
    try {
      facts = await this.#review(token);
    } catch (e) {
      // The API server could not say: refuse for now (the agent resends next round).
      return { ok: false, status: 401, reason: `the token could not be reviewed: ${(e as Error).message}` };
    }
    if (!facts.authenticated)
      return {
        ok: false,
        status: 401,
        reason: `the token is not valid${facts.error ? `: ${facts.error}` : ''}`,
      };
    const username = facts.username ?? '';
    if (!this.#allowed.has(username))
      return { ok: false, status: 403, reason: `${username || 'that user'} is not a netdoctor agent` };
    const node = facts.extra?.[NODE_NAME_EXTRA]?.[0];
    const identity = { ok: true as const, username, ...(node ? { node } : {}) };
    if (this.#cache.size >= CACHE_MAX) this.#cache.delete(this.#cache.keys().next().value as string);
    this.#cache.set(key, { at: this.#now(), identity });
    return identity;
  }
}
