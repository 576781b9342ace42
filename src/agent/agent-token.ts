/**
 * The token an agent proves itself with: a projected ServiceAccount token made for netdoctor's
 * controller alone (its audience), so that the API server itself would refuse it and a leaked
 * one grants nothing there. The chart projects it here; the controller asks TokenReview for this
 * audience.
 */

/** The audience of the agents' tokens, and what the controller reviews them for. */
export const AGENT_TOKEN_AUDIENCE = 'netdoctor';

/** Where the chart projects the agent's token (re-read each round: the kubelet rotates it). */
export const DEFAULT_TOKEN_FILE = '/var/run/secrets/netdoctor/token';
