/**
 * The worker's status server (`CASOLA_STATUS_PORT`):
 *   /healthz      200 while the process is alive
 *   /readyz       200 when the engine is ready and the queue connected, else 503 with the reasons
 *   /metrics      Prometheus text (worker-metrics.ts)
 *   /debug/state  JSON of every actor's state and key context (debug-state.ts)
 *   /debug        the live page (debug-page.ts), fed by /debug/events (SSE)
 *   /inspect      the relay page to the Stately Inspector, fed by /inspect/ws (WebSocket)
 *
 * Everything it knows comes from reading the actors and from their inspection events (its
 * `inspect` observer); it never sends the worker anything.
 */
import type { AnyActorRef, InspectionEvent } from 'xstate';
import { StatusListenError } from '../errors.ts';
import { InspectionRelay } from '../inspect/relay.ts';
import { httpBase } from '../net/http-base.ts';
import { closeHttp, createHttpApp, type HttpApp, listenHttp } from '../net/http-server.ts';
import { type Logger, silentLogger } from '../observability/logger.ts';
import { debugState } from './debug-state.ts';
import { StateStream } from './events.ts';
import { JobLedger } from './jobs.ts';
import { badTarget, pathOf, registerRoutes, statusRoutes } from './routes.ts';
import { SlowClients } from './slow-clients.ts';
import { WorkerMetrics } from './worker-metrics.ts';

/**
 * Most connections the status server holds at once; more are closed as they arrive. Pages,
 * probes and scrapers need a handful; without a cap, idle connections are memory anyone who
 * reaches the port can take. Default 256 connections.
 */
export const STATUS_MAX_CONNECTIONS = 256;
/** A connection that has not sent a whole request's headers by then is closed. Default 10 000 ms. */
export const STATUS_HEADERS_TIMEOUT_MS = 10_000;

export type StatusServerOptions = {
  /** The port; 0 picks a free one. */
  port: number;
  /** The address to listen on. Default `0.0.0.0` (reachable from outside a container). */
  host?: string;
  /** Default: silent. */
  logger?: Logger;
  /** Task names /metrics always labels as they are (the rest share a capped set). Default none. */
  tasks?: readonly string[];
  /** Most bytes waiting for one page or browser before it is disconnected. Default 1 MiB. */
  slowClientLimitBytes?: number;
};

export type StatusServer = {
  /** The inspection observer: pass it to `createActor(logic, { inspect })` (job metrics, live page). */
  readonly inspect: (event: InspectionEvent) => void;
  /** Serves `worker` (the root actor). Resolves with the base URL, or undefined when it could not listen (logged). */
  listen(worker: AnyActorRef): Promise<string | undefined>;
  /** `http://127.0.0.1:PORT` (or the host it listens on) once listening. */
  readonly url: string | undefined;
  /** Sends the pages the last state, closes their streams and sockets, stops listening. */
  close(): Promise<void>;
};

export function createStatusServer(options: StatusServerOptions): StatusServer {
  return new WorkerStatusServer(options);
}

class WorkerStatusServer implements StatusServer {
  readonly #port: number;
  readonly #host: string;
  readonly #logger: Logger;
  readonly #metrics = new WorkerMetrics();
  readonly #ledger = new JobLedger({ onEnded: (job) => this.#metrics.jobEnded(job) });
  readonly #slow: SlowClients;
  readonly #relay: InspectionRelay;
  readonly #stream: StateStream;
  readonly #routes;
  #root: AnyActorRef | undefined;
  #http: HttpApp | undefined;
  #url: string | undefined;
  /** Closed for good: a listen() still under way lets go of its server at once. */
  #closed = false;

  constructor(options: StatusServerOptions) {
    this.#port = options.port;
    this.#host = options.host ?? '0.0.0.0';
    this.#logger = options.logger ?? silentLogger();
    this.#metrics.pinTasks(options.tasks ?? []);
    this.#slow = new SlowClients({
      logger: this.#logger,
      onDropped: (kind) => this.#metrics.clientDropped(kind),
      ...(options.slowClientLimitBytes === undefined
        ? {}
        : { limitBytes: options.slowClientLimitBytes }),
    });
    this.#relay = new InspectionRelay(() => this.#root, this.#slow);
    this.#stream = new StateStream({
      read: () => (this.#root ? debugState(this.#root, this.#ledger) : {}),
      slow: this.#slow,
    });
    this.#routes = statusRoutes({
      metrics: this.#metrics,
      ledger: this.#ledger,
      stream: this.#stream,
    });
  }

  readonly inspect = (event: InspectionEvent): void => {
    this.#ledger.observe(event);
    this.#relay.observe(event);
    if (event.type === '@xstate.snapshot') this.#stream.changed();
  };

  get url(): string | undefined {
    return this.#url;
  }

  async listen(worker: AnyActorRef): Promise<string | undefined> {
    if (this.#closed) return undefined;
    this.#root = worker;
    const http = createHttpApp({
      server: {
        headersTimeout: STATUS_HEADERS_TIMEOUT_MS,
        requestTimeout: STATUS_HEADERS_TIMEOUT_MS,
        // How often those timeouts are checked (Node's default, 30 s, triples the wait).
        connectionsCheckingInterval: 1_000,
      },
      ignoreTrailingSlash: true,
      badRequest: (_request, reply) => badTarget(reply),
    });
    registerRoutes(http, this.#routes, worker, this.#logger);
    const server = http.server;
    server.maxConnections = STATUS_MAX_CONNECTIONS;
    // Node's headersTimeout counts from a request's first byte: a connection that sends none
    // would stay open for good. Once a request comes, Node's own timeouts take over.
    server.on('connection', (socket) => {
      socket.setTimeout(STATUS_HEADERS_TIMEOUT_MS, () => socket.destroy());
    });
    server.on('request', (request) => request.socket.setTimeout(0));
    server.on('upgrade', (request, socket, head) => {
      if (pathOf(request) === '/inspect/ws') this.#relay.upgrade(request, socket, head);
      else socket.destroy();
    });
    try {
      const port = await listenHttp(http, this.#host, this.#port);
      if (this.#closed) {
        await closeHttp(http);
        return undefined;
      }
      this.#http = http;
      this.#url = httpBase(this.#host, port);
      this.#logger.info({ url: this.#url, status_port: port }, `status page: ${this.#url}/debug`);
      return this.#url;
    } catch (error) {
      const err = new StatusListenError(this.#host, this.#port, error);
      this.#logger.error({ err }, 'the worker runs without its status server');
      return undefined;
    }
  }

  async close(): Promise<void> {
    this.#closed = true;
    this.#stream.close();
    await this.#relay.close();
    const http = this.#http;
    this.#http = undefined;
    if (http !== undefined) await closeHttp(http);
  }
}
