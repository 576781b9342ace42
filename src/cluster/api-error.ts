import type { GapReason } from '../core/model.ts';

/**
 * Classifies a failed API call into a gap reason. client-node throws ApiException with an HTTP
 * `code`; transport failures surface as fetch errors whose cause carries a Node errno.
 */
export function classifyApiError(err: unknown): { reason: GapReason; detail: string } {
  const e = err as { code?: unknown; message?: string; cause?: { code?: string; message?: string } };
  const message = statusMessage(err) ?? e?.message ?? String(err);
  if (typeof e?.code === 'number') {
    if (e.code === 401 || e.code === 403)
      return { reason: 'forbidden', detail: `HTTP ${e.code}: ${firstLine(message)}` };
    if (e.code === 404) return { reason: 'not-found', detail: `HTTP 404: ${firstLine(message)}` };
    if (e.code === 504 || e.code === 408) return { reason: 'timeout', detail: `HTTP ${e.code}` };
    return { reason: 'error', detail: `HTTP ${e.code}: ${firstLine(message)}` };
  }
  const errno = e?.cause?.code ?? (typeof e?.code === 'string' ? e.code : undefined);
  if (errno === 'ETIMEDOUT' || errno === 'UND_ERR_CONNECT_TIMEOUT' || /timed? ?out/i.test(message)) {
    return { reason: 'timeout', detail: firstLine(message) };
  }
  if (errno && /^(ECONNREFUSED|EHOSTUNREACH|ENETUNREACH|ENOTFOUND|EAI_AGAIN|ECONNRESET)$/.test(errno)) {
    return { reason: 'unreachable', detail: `${errno}: ${firstLine(e?.cause?.message ?? message)}` };
  }
  return { reason: 'error', detail: firstLine(message) };
}

/**
 * The API server's own words from a Status body (`namespaces "x" not found`), which the
 * client's message buries under "HTTP-Code: 404".
 */
function statusMessage(err: unknown): string | undefined {
  const body = (err as { body?: unknown })?.body;
  let parsed: unknown = body;
  if (typeof body === 'string') {
    try {
      parsed = JSON.parse(body);
    } catch {
      return undefined;
    }
  }
  const m = (parsed as { message?: unknown } | null)?.message;
  return typeof m === 'string' && m !== '' ? m : undefined;
}

function firstLine(s: string): string {
  const line = s.split('\n', 1)[0] ?? s;
  return line.length > 300 ? `${line.slice(0, 300)}…` : line;
}
