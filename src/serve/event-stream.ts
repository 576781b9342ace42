/**
 * `/api/events`: Server-Sent Events, one `report` event per new served report and a `status`
 * event with it. Clients are bounded (a browser tab left open per person is the expected load,
 * not thousands), and a comment line every `heartbeatMs` keeps proxies such as
 * `kubectl port-forward` from closing an idle stream.
 */
import type { ServerResponse } from 'node:http';

export class EventStream {
  readonly #clients = new Set<ServerResponse>();
  readonly #maxClients: number;
  readonly #heartbeat: NodeJS.Timeout;

  constructor(opts: { maxClients: number; heartbeatMs: number }) {
    this.#maxClients = opts.maxClients;
    this.#heartbeat = setInterval(() => this.#write(': ping\n\n'), opts.heartbeatMs);
    this.#heartbeat.unref();
  }

  get size(): number {
    return this.#clients.size;
  }

  /**
   * Takes over `res` as an event stream and sends `initial` events at once. Returns false
   * (having answered 503) when the stream is full.
   */
  add(res: ServerResponse, initial: { event: string; data: string }[]): boolean {
    if (this.#clients.size >= this.#maxClients) {
      res.writeHead(503, { 'content-type': 'text/plain; charset=utf-8', 'retry-after': '30' });
      res.end('too many event streams open\n');
      return false;
    }
    res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-store',
      connection: 'keep-alive',
      'x-content-type-options': 'nosniff',
    });
    res.write('retry: 5000\n\n');
    for (const e of initial) res.write(frame(e.event, e.data));
    this.#clients.add(res);
    res.on('close', () => this.#clients.delete(res));
    return true;
  }

  /** Sends one event to every client; `data` must be one line (compact JSON). */
  send(event: string, data: string): void {
    this.#write(frame(event, data));
  }

  /** Ends every stream (at shutdown, so the server can close). */
  close(): void {
    clearInterval(this.#heartbeat);
    for (const res of this.#clients) res.end();
    this.#clients.clear();
  }

  #write(text: string): void {
    for (const res of this.#clients) res.write(text);
  }
}

function frame(event: string, data: string): string {
  return `event: ${event}\ndata: ${data}\n\n`;
}
