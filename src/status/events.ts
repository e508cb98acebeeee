/**
 * /debug/events: Server-Sent Events carrying the debug state. A page gets the state at once,
 * then again after the machines change; changes are coalesced so that a burst of transitions
 * costs one message, and nothing is read while no page listens. A page that stops reading is
 * disconnected once its backlog passes the slow-client bound.
 */
import type { ServerResponse } from 'node:http';
import type { SlowClients } from './slow-clients.ts';

export type StateStreamOptions = {
  /** Reads the state to send. */
  read: () => unknown;
  /** Decides when a page that does not read is cut off. */
  slow: SlowClients;
  /** The shortest time between two messages, in ms. Default 25. */
  intervalMs?: number;
};

export class StateStream {
  readonly #pages = new Set<ServerResponse>();
  readonly #read: () => unknown;
  readonly #slow: SlowClients;
  readonly #intervalMs: number;
  #timer: NodeJS.Timeout | undefined;

  constructor(options: StateStreamOptions) {
    this.#read = options.read;
    this.#slow = options.slow;
    this.#intervalMs = options.intervalMs ?? 25;
  }

  /**
   * Answers a GET with the event stream; the page stays subscribed until it goes away. A HEAD
   * gets the same headers and no stream.
   */
  attach(response: ServerResponse): void {
    response.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-store',
      connection: 'keep-alive',
    });
    if (response.req.method === 'HEAD') {
      response.end();
      return;
    }
    this.#pages.add(response);
    response.on('close', () => this.#pages.delete(response));
    this.#send(response, this.#message());
  }

  /** Something changed: the pages hear of it within `intervalMs`. */
  changed(): void {
    if (this.#pages.size === 0 || this.#timer !== undefined) return;
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      this.#broadcast();
    }, this.#intervalMs);
    this.#timer.unref();
  }

  /** Sends the last state and ends every stream. */
  close(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    if (this.#pages.size > 0) this.#broadcast();
    for (const page of this.#pages) page.end();
    this.#pages.clear();
  }

  #broadcast(): void {
    const message = this.#message();
    for (const page of this.#pages) this.#send(page, message);
  }

  #send(page: ServerResponse, message: string): void {
    if (this.#slow.tooSlow('sse', '/debug/events', page.writableLength)) {
      this.#pages.delete(page);
      page.destroy();
    } else page.write(message);
  }

  #message(): string {
    return `data: ${JSON.stringify(this.#read())}\n\n`;
  }
}
