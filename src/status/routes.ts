/**
 * What each path of the status server answers (see server.ts for the list). A route reads the
 * worker; none of them changes it.
 */
import type { IncomingMessage } from 'node:http';
import type { AnyActorRef } from 'xstate';
import { RELAY_PAGE_SCRIPT, relayPage } from '../inspect/relay-page.ts';
import { type HttpApp, type HttpReply, sendBody } from '../net/http-server.ts';
import type { Logger } from '../observability/logger.ts';
import { describeWorker } from '../worker/state.ts';
import { DEBUG_PAGE_SCRIPT, debugPage } from './debug-page.ts';
import { debugState } from './debug-state.ts';
import { loadDiagrams } from './diagrams.ts';
import type { StateStream } from './events.ts';
import type { JobLedger } from './jobs.ts';
import { readiness } from './readiness.ts';
import { JAVASCRIPT, readScript } from './scripts.ts';
import type { WorkerMetrics } from './worker-metrics.ts';

type Route = (reply: HttpReply, root: AnyActorRef) => void | Promise<void>;

export type Routes = Readonly<Record<string, Route>>;

const HTML = 'text/html; charset=utf-8';
const TEXT = 'text/plain; charset=utf-8';

export function statusRoutes(parts: {
  metrics: WorkerMetrics;
  ledger: JobLedger;
  stream: StateStream;
}): Routes {
  const { metrics, ledger, stream } = parts;
  return {
    '/': (reply) => {
      reply.code(302).header('location', '/debug').send();
    },
    '/healthz': (reply) => send(reply, 200, TEXT, 'ok\n'),
    '/readyz': (reply, root) => {
      const ready = readiness(describeWorker(root));
      if (ready.ready) send(reply, 200, TEXT, 'ready\n');
      else send(reply, 503, TEXT, `not ready: ${ready.reasons.join('; ')}\n`);
    },
    '/metrics': async (reply, root) =>
      send(reply, 200, metrics.contentType, await metrics.render(root, ledger)),
    '/debug/state': (reply, root) => {
      const body = `${JSON.stringify(debugState(root, ledger), null, 2)}\n`;
      send(reply, 200, 'application/json', body);
    },
    '/debug/events': (reply) => stream.attach(reply.hijack().raw),
    '/debug': async (reply, root) =>
      send(reply, 200, HTML, debugPage(titleOf(root), await loadDiagrams())),
    '/inspect': (reply, root) => send(reply, 200, HTML, relayPage(titleOf(root))),
    [DEBUG_PAGE_SCRIPT.path]: async (reply) =>
      send(reply, 200, JAVASCRIPT, await readScript(DEBUG_PAGE_SCRIPT)),
    [RELAY_PAGE_SCRIPT.path]: async (reply) =>
      send(reply, 200, JAVASCRIPT, await readScript(RELAY_PAGE_SCRIPT)),
  };
}

/**
 * The routes on `app`, GET and HEAD each (HEAD answers as GET without the body: Node leaves
 * it out, the event stream ends at once); anything else is a 404 naming the paths there are,
 * a target that is not a URL path a 400, a route that throws a 500. Never throws.
 */
export function registerRoutes(
  app: HttpApp,
  routes: Routes,
  root: AnyActorRef,
  logger: Logger,
): void {
  for (const [url, route] of Object.entries(routes)) {
    app.route({ method: ['GET', 'HEAD'], url, handler: (_request, reply) => route(reply, root) });
  }
  app.setNotFoundHandler((request, reply) => {
    if (pathOf(request.raw) === undefined) badTarget(reply);
    else send(reply, 404, TEXT, `not found; try ${Object.keys(routes).join(', ')}\n`);
  });
  app.setErrorHandler((error, request, reply) => {
    logger.error({ err: error, path: pathOf(request.raw) }, 'the status server failed to answer');
    if (!reply.raw.headersSent) send(reply, 500, TEXT, 'internal error\n');
    else reply.raw.end();
  });
}

/** The answer to a request target that is not a URL path. */
export function badTarget(reply: HttpReply): void {
  send(reply, 400, TEXT, 'bad request target\n');
}

/**
 * The request's path without a trailing slash; undefined when its target is not a URL path
 * (`//[`, `http://[x`), which anyone who can reach the port can send.
 */
export function pathOf(request: IncomingMessage): string | undefined {
  try {
    return new URL(request.url ?? '/', 'http://status').pathname.replace(/\/$/, '') || '/';
  } catch {
    return undefined;
  }
}

/** The page title: the worker's id. */
function titleOf(root: AnyActorRef): string {
  const context = (root.getSnapshot() as { context?: { settings?: { workerId?: string } } })
    .context;
  return context?.settings?.workerId ?? 'worker';
}

function send(reply: HttpReply, status: number, type: string, body: string): void {
  sendBody(reply, status, { 'content-type': type, 'cache-control': 'no-store' }, body);
}
