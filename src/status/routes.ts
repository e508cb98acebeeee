/**
 * What each path of the status server answers (see server.ts for the list). A route reads the
 * worker; none of them changes it.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AnyActorRef } from 'xstate';
import { RELAY_PAGE_SCRIPT, relayPage } from '../inspect/relay-page.ts';
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

type Route = (response: ServerResponse, root: AnyActorRef) => void | Promise<void>;

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
    '/': (response) => {
      response.writeHead(302, { location: '/debug' }).end();
    },
    '/healthz': (response) => send(response, 200, TEXT, 'ok\n'),
    '/readyz': (response, root) => {
      const ready = readiness(describeWorker(root));
      if (ready.ready) send(response, 200, TEXT, 'ready\n');
      else send(response, 503, TEXT, `not ready: ${ready.reasons.join('; ')}\n`);
    },
    '/metrics': async (response, root) =>
      send(response, 200, metrics.contentType, await metrics.render(root, ledger)),
    '/debug/state': (response, root) => {
      const body = `${JSON.stringify(debugState(root, ledger), null, 2)}\n`;
      send(response, 200, 'application/json', body);
    },
    '/debug/events': (response) => stream.attach(response),
    '/debug': async (response, root) =>
      send(response, 200, HTML, debugPage(titleOf(root), await loadDiagrams())),
    '/inspect': (response, root) => send(response, 200, HTML, relayPage(titleOf(root))),
    [DEBUG_PAGE_SCRIPT.path]: async (response) =>
      send(response, 200, JAVASCRIPT, await readScript(DEBUG_PAGE_SCRIPT)),
    [RELAY_PAGE_SCRIPT.path]: async (response) =>
      send(response, 200, JAVASCRIPT, await readScript(RELAY_PAGE_SCRIPT)),
  };
}

/** Answers one request: its route, or 404 naming the paths there are. Never throws. */
export async function answer(
  routes: Routes,
  request: IncomingMessage,
  response: ServerResponse,
  root: AnyActorRef | undefined,
  logger: Logger,
): Promise<void> {
  const path = pathOf(request);
  if (path === undefined) {
    send(response, 400, TEXT, 'bad request target\n');
    return;
  }
  const route = routes[path];
  // HEAD answers as GET without the body (Node leaves it out; the event stream ends at once).
  const readable = request.method === 'GET' || request.method === 'HEAD';
  if (!readable || route === undefined || root === undefined) {
    send(response, 404, TEXT, `not found; try ${Object.keys(routes).join(', ')}\n`);
    return;
  }
  try {
    await route(response, root);
  } catch (error) {
    logger.error({ err: error, path }, 'the status server failed to answer');
    if (!response.headersSent) send(response, 500, TEXT, 'internal error\n');
    else response.end();
  }
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

function send(response: ServerResponse, status: number, type: string, body: string): void {
  response.writeHead(status, { 'content-type': type, 'cache-control': 'no-store' });
  response.end(body);
}
