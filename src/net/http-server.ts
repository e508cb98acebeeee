/**
 * The one HTTP layer of the status server, the local queue and the mock vLLM: Fastify (picked
 * by measurement against Hono, README "Development"), with what the three share: request
 * bodies left unread for each route to read bounded from `request.raw` (nothing is buffered
 * whole that was not before), listening on a port, and closing with a grace.
 */
import {
  createServer,
  type IncomingMessage,
  type Server,
  type ServerOptions,
  type ServerResponse,
  STATUS_CODES,
} from 'node:http';
import { createRequire } from 'node:module';
import type { AddressInfo, Socket } from 'node:net';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';

/**
 * Fastify loads when the first server is made, not when this module is imported: an SDK worker
 * or a `casola-worker run` with the status server off never makes one, and Fastify's 30-odd
 * modules cost their start-up time and memory for nothing.
 */
const requireFastify = (): typeof import('fastify').default =>
  createRequire(import.meta.url)('fastify');

export type HttpApp = FastifyInstance;
export type HttpReply = FastifyReply;
export type HttpRequest = FastifyRequest;

export type HttpAppOptions = {
  /** node:http options of the server (timeouts, keep-alive). Default Node's own. */
  server?: ServerOptions;
  /** Whether `/path/` finds the route of `/path`. Default false. */
  ignoreTrailingSlash?: boolean;
  /**
   * How a request whose URL cannot be routed (a broken percent-encoding) is answered, in the
   * server's own error shape. Default Fastify's JSON error.
   */
  badRequest?: (request: HttpRequest, reply: HttpReply, message: string) => void;
  /**
   * Whether a `%` that starts no escape (`/jobs/%zz`) is taken as itself, as Python's
   * `urllib.parse.unquote` takes it, instead of making the URL unroutable. Default false.
   */
  literalPercent?: boolean;
  /** The longest path parameter routed; a longer one goes to `badRequest`. Default 100 characters. */
  maxParamLength?: number;
};

/** `url` with each `%` that starts no escape written as `%25`. */
function escapeLonePercents(url: string): string {
  return url.replace(/%(?![0-9a-fA-F]{2})/g, '%25');
}

/** The status Node answers a client error with (lib/_http_server.js `socketOnError`, Node 24). */
const CLIENT_ERROR_STATUS: Record<string, number> = {
  HPE_HEADER_OVERFLOW: 431,
  HPE_CHUNK_EXTENSIONS_OVERFLOW: 413,
  ERR_HTTP_REQUEST_TIMEOUT: 408,
};

/**
 * Node's own answer to a request it cannot parse (lib/_http_server.js `socketOnError`, Node 24),
 * in place of Fastify's JSON one: a bare status line with `Connection: close`, written only
 * while no response on the socket has sent its headers (never into a stream), then the socket
 * is destroyed.
 */
function clientError(error: Error & { code?: string }, socket: Socket): void {
  const message = (socket as Socket & { _httpMessage?: ServerResponse })._httpMessage;
  if (socket.writable && !message?.headersSent) {
    const status = CLIENT_ERROR_STATUS[error.code ?? ''] ?? 400;
    socket.write(`HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nConnection: close\r\n\r\n`);
  }
  socket.destroy(error);
}

/** A Fastify app on node:http whose routes read their own bodies. */
export function createHttpApp(options: HttpAppOptions = {}): HttpApp {
  const { badRequest, literalPercent = false } = options;
  const app = requireFastify()<Server>({
    serverFactory: (handler) => createServer(options.server ?? {}, handler),
    routerOptions: {
      ignoreTrailingSlash: options.ignoreTrailingSlash ?? false,
      ...(options.maxParamLength === undefined ? {} : { maxParamLength: options.maxParamLength }),
    },
    ...(literalPercent ? { rewriteUrl: (req) => escapeLonePercents(req.url ?? '/') } : {}),
    // Each server says which methods a path answers; HEAD is not GET unless it says so.
    exposeHeadRoutes: false,
    clientErrorHandler: clientError,
    ...(badRequest === undefined
      ? {}
      : {
          frameworkErrors: (error, request, reply) =>
            badRequest(request as HttpRequest, reply as HttpReply, error.message),
        }),
  });
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', (_request, _payload, done) => done(null));
  return app;
}

/**
 * Registers `methods` of `url` to `handler` and every other method to `notAllowed` (405):
 * Fastify itself answers a known path with another method as an unknown one.
 */
export function routeMethods(
  app: HttpApp,
  url: string,
  methods: Record<string, (request: FastifyRequest, reply: FastifyReply) => unknown>,
  notAllowed: (request: FastifyRequest, reply: FastifyReply) => void,
): void {
  for (const [method, handler] of Object.entries(methods)) app.route({ method, url, handler });
  const others = app.supportedMethods.filter((method) => !(method in methods));
  app.route({ method: others, url, handler: notAllowed });
}

/** Listens and resolves with the port (the OS-chosen one for port 0). */
export async function listenHttp(app: HttpApp, host: string, port: number): Promise<number> {
  await app.listen({ host, port });
  return (app.server.address() as AddressInfo).port;
}

/**
 * Stops listening: idle connections close at once, requests under way get `graceMs`
 * before their connections are closed too. A server that listens on a socket bound outside
 * Fastify (the mock vLLM's API port), which Fastify does not close, is closed the same way.
 */
export async function closeHttp(app: HttpApp, graceMs = 0): Promise<void> {
  const force = setTimeout(() => app.server.closeAllConnections(), graceMs);
  app.server.closeIdleConnections();
  await app.close();
  if (app.server.listening) await new Promise((resolve) => app.server.close(resolve));
  clearTimeout(force);
}

export type BodyRead = { ok: true; body: Buffer } | { ok: false; status: 413 | 400 };

/** Reads a request body of at most `limitBytes`; never throws. */
export async function readBody(
  request: IncomingMessage,
  limitBytes = Number.POSITIVE_INFINITY,
): Promise<BodyRead> {
  const chunks: Buffer[] = [];
  let size = 0;
  try {
    for await (const chunk of request as AsyncIterable<Buffer>) {
      size += chunk.length;
      if (size > limitBytes) return { ok: false, status: 413 };
      chunks.push(chunk);
    }
  } catch {
    return { ok: false, status: 400 };
  }
  return { ok: true, body: Buffer.concat(chunks) };
}

/**
 * Answers `body` with exactly `contentType` (Fastify adds `; charset=utf-8` to a string's JSON
 * or text type; the servers promise the types they answered before), unless already answered
 * or a response under way has sent its headers.
 */
export function sendBody(
  reply: HttpReply,
  status: number,
  headers: Record<string, string>,
  body: Buffer | string,
): void {
  // A stream under way (headers out, not ended) is not `sent` to Fastify; a send would throw.
  if (reply.sent || reply.raw.headersSent) return;
  reply
    .code(status)
    .headers(headers)
    .send(typeof body === 'string' ? Buffer.from(body) : body);
}
