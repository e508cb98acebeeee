/**
 * The queue's one HTTP server: WebSocket upgrades on /ws (bearer-checked when a token is
 * required), offload URLs, and the REST surface. Closing undoes listening: sockets first
 * (a close frame, then termination), then the HTTP server.
 */
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { type WebSocket, WebSocketServer } from 'ws';
import { QueueListenError } from '../../errors.ts';
import {
  closeHttp,
  createHttpApp,
  type HttpApp,
  type HttpReply,
  type HttpRequest,
  listenHttp,
} from '../../net/http-server.ts';
import type { Logger } from '../../observability/logger.ts';
import type { EventLog } from './event-log.ts';
import { sendDetail } from './http.ts';
import { attachConnection, type InboundDeps } from './inbound.ts';
import { type OffloadDeps, offloadRoutes } from './offload.ts';
import { restRoutes } from './rest.ts';
import type { RestDeps } from './rest-io.ts';

export type ServerDeps = {
  requireToken: string | undefined;
  events: EventLog;
  rest: RestDeps;
  offload: OffloadDeps;
  inbound: InboundDeps;
  logger: Logger;
};

/**
 * The longest job id (or other path parameter) the queue routes: as long as Node lets a request
 * line be (its default `maxHeaderSize`), so no id is refused for its length. Default 16 384 characters.
 */
const MAX_PARAM_CHARS = 16_384;

/** How long closing waits for workers to answer the close frame, and for HTTP to finish. */
const CLOSE_GRACE_MS = 1_000;

const notFound = (_request: HttpRequest, reply: HttpReply) => sendDetail(reply, 404, 'Not Found');

export class QueueServer {
  readonly #deps: ServerDeps;
  readonly #app: HttpApp;
  readonly #wss = new WebSocketServer({ noServer: true, autoPong: false });
  #connections = 0;

  constructor(deps: ServerDeps) {
    this.#deps = deps;
    this.#app = createHttpApp({
      ignoreTrailingSlash: true,
      literalPercent: true,
      maxParamLength: MAX_PARAM_CHARS,
      // A path that still is no URL (`/jobs/%ff`, not UTF-8) is one no route has.
      badRequest: (request, reply) => {
        this.#record(request, reply);
        notFound(request, reply);
      },
    });
    this.#app.addHook('onRequest', (request, reply, done) => {
      this.#record(request, reply);
      done();
    });
    this.#app.setErrorHandler((error, request, reply) => this.#failed(error, request, reply));
    this.#app.setNotFoundHandler(notFound);
    offloadRoutes(this.#app, deps.offload, notFound);
    restRoutes(this.#app, deps.rest);
    this.#app.server.on('upgrade', (request, socket, head) =>
      this.#onUpgrade(request, socket, head),
    );
  }

  /** Listens and resolves with the port (the OS-chosen one for port 0). */
  async listen(host: string, port: number): Promise<number> {
    try {
      return await listenHttp(this.#app, host, port);
    } catch (error) {
      throw new QueueListenError(host, port, error);
    }
  }

  async close(): Promise<void> {
    await Promise.all([...this.#wss.clients].map((ws) => closeSocket(ws)));
    this.#wss.close();
    await closeHttp(this.#app, CLOSE_GRACE_MS);
  }

  /** Every request and its answer in the event log. */
  #record(request: HttpRequest, reply: HttpReply): void {
    const { events } = this.#deps;
    const method = request.method;
    const path = pathOf(request.originalUrl);
    events.record({ kind: 'http_request', method, path });
    reply.raw.on('finish', () => {
      events.record({ kind: 'http_response', method, path, status: reply.raw.statusCode });
    });
  }

  #failed(error: unknown, request: HttpRequest, reply: HttpReply): void {
    const path = pathOf(request.url);
    this.#deps.logger.error(
      { err: error, method: request.method, path },
      'request failed inside the local queue',
    );
    sendDetail(reply, 500, 'the local queue failed on this request; see its log');
  }

  #onUpgrade(request: IncomingMessage, socket: Duplex, head: Buffer): void {
    socket.on('error', (error) => this.#deps.logger.warn({ err: error }, 'upgrade socket error'));
    const path = pathOf(request.url);
    const status = upgradeStatus(path, request, this.#deps.requireToken);
    if (status !== 101) {
      this.#deps.events.record({
        kind: 'connection_refused',
        status,
        path,
        headers: request.headers,
      });
      const text = status === 401 ? 'Unauthorized' : 'Not Found';
      socket.once('finish', () => socket.destroy());
      socket.end(`HTTP/1.1 ${status} ${text}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
      return;
    }
    this.#wss.handleUpgrade(request, socket, head, (ws) => {
      this.#connections += 1;
      attachConnection(this.#deps.inbound, ws, request, this.#connections);
    });
  }
}

function upgradeStatus(
  path: string,
  request: IncomingMessage,
  token: string | undefined,
): 101 | 401 | 404 {
  if (path !== '/ws') return 404;
  if (token !== undefined && request.headers.authorization !== `Bearer ${token}`) return 401;
  return 101;
}

function pathOf(url: string | undefined): string {
  const path = (url ?? '/').split('?')[0]!;
  return path.length > 1 && path.endsWith('/') ? path.slice(0, -1) : path;
}

/** A close frame, and termination when the worker does not answer it in time. */
function closeSocket(ws: WebSocket): Promise<void> {
  return new Promise((resolve) => {
    if (ws.readyState === ws.CLOSED) {
      resolve();
      return;
    }
    const force = setTimeout(() => ws.terminate(), CLOSE_GRACE_MS);
    ws.once('close', () => {
      clearTimeout(force);
      resolve();
    });
    ws.close(1001, 'the local queue is closing');
  });
}
