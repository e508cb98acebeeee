/**
 * A small HTTP server on 127.0.0.1 serving fixed files and recording every request, for
 * tests of code that downloads (audio_url, image_url).
 */
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';

export type FileRoute = {
  body?: Buffer | string;
  /** Content-Type header; none when absent. */
  contentType?: string;
  /** Default 200. */
  status?: number;
  /** Send without Content-Length (chunked), so only counting the bytes can bound it. */
  chunked?: boolean;
  /** Answer with a redirect to this location instead. */
  redirectTo?: string;
  /** Content-Encoding header (the body is sent as given: encode it yourself). */
  contentEncoding?: string;
  /** Never answer (for timeouts and aborts). */
  hang?: boolean;
};

/** `path` keeps the query string; routes match without it. */
export type RecordedRequest = { method: string; path: string; headers: IncomingHttpHeaders };

export type FileServer = {
  url: string;
  requests: RecordedRequest[];
  /** Resolves when a request closes before it was answered. */
  closedEarly: Promise<RecordedRequest>;
  close(): Promise<void>;
};

export async function startFileServer(routes: Record<string, FileRoute>): Promise<FileServer> {
  const requests: RecordedRequest[] = [];
  let markClosedEarly: (request: RecordedRequest) => void = () => {};
  const closedEarly = new Promise<RecordedRequest>((resolve) => {
    markClosedEarly = resolve;
  });
  const server = createServer((req, res) => {
    const recorded = { method: req.method ?? 'GET', path: req.url ?? '/', headers: req.headers };
    requests.push(recorded);
    res.on('close', () => {
      if (!res.writableFinished) markClosedEarly(recorded);
    });
    const route = routes[recorded.path.split('?')[0] ?? '/'];
    if (route === undefined) return void res.writeHead(404).end('not found');
    if (route.hang) return;
    if (route.redirectTo) return void res.writeHead(302, { location: route.redirectTo }).end();
    const body = Buffer.from(route.body ?? '');
    const headers: Record<string, string | number> = route.chunked
      ? { 'transfer-encoding': 'chunked' }
      : { 'content-length': body.length };
    if (route.contentType) headers['content-type'] = route.contentType;
    if (route.contentEncoding) headers['content-encoding'] = route.contentEncoding;
    res.writeHead(route.status ?? 200, headers);
    res.end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    closedEarly,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
