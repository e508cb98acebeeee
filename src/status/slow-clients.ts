/**
 * The bound on what waits for one client of the status server (a /debug/events page, an
 * /inspect/ws browser). The port is open to anyone who can reach it, and a client that stops
 * reading would otherwise keep every message the worker writes to it in memory. Past the bound
 * the client is disconnected (a page reconnects and gets the whole state again); the first time
 * it is said in the log, and every time it is counted on /metrics.
 */
import type { Logger } from '../observability/logger.ts';

/** Default bound on the bytes waiting for one status-server client: 1 MiB. */
export const SLOW_CLIENT_LIMIT_BYTES = 1024 * 1024;

/** Which kind of client: the label of `casola_status_clients_dropped_total`. */
export type ClientKind = 'sse' | 'websocket';

export type SlowClientsOptions = {
  logger: Logger;
  /** Told of every client disconnected for being slow (the /metrics counter). */
  onDropped: (kind: ClientKind) => void;
  /** Most bytes waiting for one client before it is disconnected. Default 1 MiB. */
  limitBytes?: number;
};

export class SlowClients {
  readonly #logger: Logger;
  readonly #onDropped: (kind: ClientKind) => void;
  readonly #limitBytes: number;
  #said = false;

  constructor(options: SlowClientsOptions) {
    this.#logger = options.logger;
    this.#onDropped = options.onDropped;
    this.#limitBytes = options.limitBytes ?? SLOW_CLIENT_LIMIT_BYTES;
  }

  /**
   * Whether a client with `waitingBytes` not yet taken by it is to be disconnected; when it is,
   * it is counted (and the first one logged). The caller disconnects it.
   */
  tooSlow(kind: ClientKind, path: string, waitingBytes: number): boolean {
    if (waitingBytes <= this.#limitBytes) return false;
    this.#onDropped(kind);
    if (!this.#said) {
      this.#said = true;
      this.#logger.warn(
        { path, waiting_bytes: waitingBytes, limit_bytes: this.#limitBytes },
        `a ${path} client stopped reading: disconnected with ${waitingBytes} bytes waiting for it ` +
          '(later ones are counted in casola_status_clients_dropped_total, not logged)',
      );
    }
    return true;
  }
}
