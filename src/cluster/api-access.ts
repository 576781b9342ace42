/**
 * Whether a failed first API call means netdoctor cannot use the API server at all: a TLS
 * failure, refused credentials (401), no right to read even /version (403), a server error
 * (5xx), or a server that does not speak the Kubernetes API. Going on after any of these would
 * collect nothing and call the silence healthy, so the run stops (exit 3) naming the status.
 */

/** TLS and certificate failures as Node and OpenSSL name them. */
const TLS_ERROR = /CERT|SSL|TLS|EPROTO|SELF_SIGNED|UNABLE_TO_(GET|VERIFY)|HOSTNAME|ALTNAME/;

/** The status that makes the API server unusable, in words; undefined for any other failure. */
export function unusableApiStatus(err: unknown): string | undefined {
  const e = err as { code?: unknown; message?: unknown; cause?: { code?: unknown; message?: unknown } };
  if (typeof e?.code === 'number') {
    if (e.code === 401) return 'HTTP 401 Unauthorized: the server refused the credentials';
    if (e.code === 403) return 'HTTP 403 Forbidden: these credentials may not even read /version';
    if (e.code >= 500) return `HTTP ${e.code}: the API server failed to answer`;
    return undefined;
  }
  const cause = typeof e?.cause?.code === 'string' ? e.cause.code : undefined;
  if (cause && TLS_ERROR.test(cause)) {
    const m = typeof e?.cause?.message === 'string' ? e.cause.message.split('\n', 1)[0] : '';
    return `TLS error ${cause}${m ? `: ${m.split(';', 1)[0]}` : ''}`;
  }
  const message = typeof e?.message === 'string' ? e.message : '';
  if (/HTTP protocol is not allowed/i.test(message))
    return 'the server URL is plain http:// while TLS verification is on';
  return undefined;
}
