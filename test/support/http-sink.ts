/**
 * A fake HTTP endpoint for tests: a real server on 127.0.0.1 (port 0) that records every
 * request and answers as the test says, per path: a status and JSON body, after a delay,
 * never (until closed or released), or failing a number of times before it succeeds.
 *
 * ```ts
 * const sink = await startHttpSink();
 * sink.respond('/api/heartbeats', { failTimes: 1, failStatus: 503 });
 * const request = await sink.waitFor((r) => r.path === '/api/heartbeats');
 * await sink.close();
 * ```
 */
import { createServer, type IncomingHttpHeaders, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export type SinkRequest = {
  method: string;
  /** The path without the query string. */
  path: string;
  /** The query string's parameters. */
  query: URLSearchParams;
  /** Header names are lower case (node's). */
  headers: IncomingHttpHeaders;
  rawBody: string;
  /** The body parsed as JSON; undefined when empty or not JSON. */
  body: unknown;
};

export type SinkResponse = {
  /** Default 200. */
  status?: number;
  /** Sent as JSON. Default `{}`. */
  body?: unknown;
  /** Sent as is, as `text/plain` (e.g. Prometheus text); wins over `body`. */
  text?: string;
  /** Answer after this many milliseconds. Default 0. */
  delayMs?: number;
  /** Never answer until `release`; the connection is cut when the sink closes. Default false. */
  hang?: boolean;
  /** Answer the first N requests to this path with `failStatus` instead. Default 0. */
  failTimes?: number;
  /** Status of those failures. Default 500. */
  failStatus?: number;
};

export type HttpSink = {
  /** `http://127.0.0.1:<port>`, no trailing slash. */
  url: string;
  /** Every request so far, in arrival order. */
  requests: SinkRequest[];
  /** The requests to one path, in arrival order. */
  requestsTo(path: string): SinkRequest[];
  /** How to answer requests to `path` from now on (replaces earlier settings for it). */
  respond(path: string, response: SinkResponse): void;
  /**
   * Answers the requests hanging on `path` with `response` (default: status 200, `{}`), and
   * later ones too (as `respond`). Returns how many were hanging.
   */
  release(path: string, response?: SinkResponse): number;
  /**
   * The first request, past or future, that matches. Rejects after `timeoutMs` (default
   * 5 000 ms) so that a test fails with a message rather than at the test timeout.
   */
  waitFor(predicate: (request: SinkRequest) => boolean, timeoutMs?: number): Promise<SinkRequest>;
  /** Cuts every connection (hanging ones too) and stops listening. */
  close(): Promise<void>;
};

type Waiter = { predicate: (request: SinkRequest) => boolean; resolve: (r: SinkRequest) => void };

export async function startHttpSink(): Promise<HttpSink> {
  const requests: SinkRequest[] = [];
  const responses = new Map<string, SinkResponse & { failed: number }>();
  const waiters = new Set<Waiter>();
  const timers = new Set<NodeJS.Timeout>();
  const hanging = new Map<string, ServerResponse[]>();

  const server = createServer((incoming, outgoing) => {
    const chunks: Buffer[] = [];
    incoming.on('data', (chunk: Buffer) => chunks.push(chunk));
    incoming.on('end', () => {
      const url = new URL(incoming.url ?? '/', 'http://sink');
      const rawBody = Buffer.concat(chunks).toString('utf8');
      const request: SinkRequest = {
        method: incoming.method ?? 'GET',
        path: url.pathname,
        query: url.searchParams,
        headers: incoming.headers,
        rawBody,
        body: parseJson(rawBody),
      };
      requests.push(request);
      for (const waiter of waiters) {
        if (!waiter.predicate(request)) continue;
        waiters.delete(waiter);
        waiter.resolve(request);
      }
      answer(request.path, outgoing);
    });
  });

  function answer(path: string, outgoing: ServerResponse): void {
    const setting = responses.get(path) ?? { failed: 0 };
    if (setting.hang) {
      hanging.set(path, [...(hanging.get(path) ?? []), outgoing]);
      return;
    }
    const failing = setting.failed < (setting.failTimes ?? 0);
    if (failing) setting.failed++;
    const status = failing ? (setting.failStatus ?? 500) : (setting.status ?? 200);
    const plain = !failing && setting.text !== undefined;
    const body = plain
      ? setting.text
      : JSON.stringify(failing ? { error: 'failing on purpose' } : (setting.body ?? {}));
    const contentType = plain ? 'text/plain; version=0.0.4' : 'application/json';
    const send = () => {
      if (outgoing.destroyed) return;
      outgoing.writeHead(status, { 'content-type': contentType }).end(body);
    };
    if (!setting.delayMs) {
      send();
      return;
    }
    const timer = setTimeout(() => {
      timers.delete(timer);
      send();
    }, setting.delayMs);
    timers.add(timer);
  }

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    requestsTo: (path) => requests.filter((request) => request.path === path),
    respond(path, response) {
      responses.set(path, { ...response, failed: 0 });
    },
    release(path, response = {}) {
      responses.set(path, { ...response, hang: false, failed: 0 });
      const held = hanging.get(path) ?? [];
      hanging.delete(path);
      for (const outgoing of held) answer(path, outgoing);
      return held.length;
    },
    waitFor(predicate, timeoutMs = 5_000) {
      const seen = requests.find(predicate);
      if (seen) return Promise.resolve(seen);
      return new Promise((resolve, reject) => {
        const waiter: Waiter = {
          predicate,
          resolve: (request) => {
            clearTimeout(timer);
            resolve(request);
          },
        };
        const timer = setTimeout(() => {
          waiters.delete(waiter);
          reject(new Error(`no matching request within ${timeoutMs} ms (${requests.length} seen)`));
        }, timeoutMs);
        waiters.add(waiter);
      });
    },
    async close() {
      for (const timer of timers) clearTimeout(timer);
      timers.clear();
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      await closed;
    },
  };
}

function parseJson(text: string): unknown {
  if (text === '') return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
