/**
 * Counts the HTTP requests KubePort sends and the response body bytes it receives, per API
 * path, without touching KubePort: @kubernetes/client-node talks through undici, which reports
 * every request and every body chunk on diagnostics channels. CountingPort counts calls to
 * `list`; this counts what they cost on the wire — one request per page, and the bytes as they
 * arrive (gzip-compressed when the server compresses, as it does for large lists).
 */
import diagnostics from 'node:diagnostics_channel';

/** Requests and body bytes of one API path (query string dropped: all pages of a list). */
export interface PathTraffic {
  requests: number;
  bytes: number;
}

interface UndiciRequest {
  method?: string;
  path?: string;
}

/** A running meter; `stop` unsubscribes and freezes the figures. */
export interface ApiTrafficMeter {
  readonly byPath: ReadonlyMap<string, PathTraffic>;
  /** Response body bytes received, all paths. */
  readonly bytes: number;
  readonly requests: number;
  /** Responses whose body arrived compressed (`content-encoding` set). */
  readonly compressed: number;
  stop(): void;
}

const CREATE = 'undici:request:create';
const HEADERS = 'undici:request:headers';
const CHUNK = 'undici:request:bodyChunkReceived';

/** Starts counting every undici request in this process from now on. */
export function meterApiTraffic(): ApiTrafficMeter {
  const byPath = new Map<string, PathTraffic>();
  const of = new WeakMap<object, PathTraffic>();
  let bytes = 0;
  let requests = 0;
  let compressed = 0;

  const onCreate = (msg: unknown): void => {
    const req = (msg as { request: UndiciRequest & object }).request;
    const key = `${req.method ?? 'GET'} ${(req.path ?? '').split('?')[0]}`;
    let t = byPath.get(key);
    if (!t) {
      t = { requests: 0, bytes: 0 };
      byPath.set(key, t);
    }
    t.requests++;
    requests++;
    of.set(req, t);
  };
  const onHeaders = (msg: unknown): void => {
    // A record of header names in undici 8; older undici passed [name, value, ...] Buffers.
    const h = (msg as { response: { headers?: unknown } }).response.headers ?? {};
    const names = Array.isArray(h) ? h.filter((_, i) => i % 2 === 0).map(String) : Object.keys(h);
    if (names.some((n) => n.toLowerCase() === 'content-encoding')) compressed++;
  };
  const onChunk = (msg: unknown): void => {
    const { request, chunk } = msg as { request: object; chunk: { length: number } };
    bytes += chunk.length;
    const t = of.get(request);
    if (t) t.bytes += chunk.length;
  };

  diagnostics.subscribe(CREATE, onCreate);
  diagnostics.subscribe(HEADERS, onHeaders);
  diagnostics.subscribe(CHUNK, onChunk);
  return {
    byPath,
    get bytes() {
      return bytes;
    },
    get requests() {
      return requests;
    },
    get compressed() {
      return compressed;
    },
    stop() {
      diagnostics.unsubscribe(CREATE, onCreate);
      diagnostics.unsubscribe(HEADERS, onHeaders);
      diagnostics.unsubscribe(CHUNK, onChunk);
    },
  };
}
