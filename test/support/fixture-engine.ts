/**
 * An engine that answers with the exchanges of a contract fixture (test/fixtures/vllm/*.json),
 * in order: each request gets the answer of the next exchange of its method and path (`{id}`
 * matching any id). What upstream answers, played to the worker's tasks.
 */
import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { EngineMode } from '../../src/engine/command.ts';
import { silentLogger } from '../../src/observability/logger.ts';
import type { TaskContext } from '../../src/tasks/index.ts';
import { parseBody } from '../../src/tools/mock-vllm/request.ts';
import type { MockRequest } from '../../src/tools/mock-vllm/server.ts';

type Exchange = {
  name: string;
  request: { method: string; path: string; json?: unknown; form?: Record<string, unknown> };
  response: { status: number; contentType?: string; json?: unknown; startsWith?: string };
};

export type FixtureEngine = {
  /** The fixture's exchanges, in its order. */
  exchanges: Exchange[];
  /** What the engine received: each request with the exchange that answered it. */
  received: Array<{ request: MockRequest; exchange: Exchange }>;
  context(options: { model: string; mode: EngineMode }): TaskContext;
  close(): Promise<void>;
};

async function readRequest(req: IncomingMessage): Promise<MockRequest> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  const parsed = await parseBody(Buffer.concat(chunks), req.headers['content-type']);
  if ('error' in parsed) throw new Error(parsed.error);
  return {
    id: 0,
    method: req.method ?? 'GET',
    path: req.url ?? '/',
    headers: req.headers,
    ...parsed,
  };
}

const matches = (exchange: Exchange, request: MockRequest) =>
  exchange.request.method === request.method &&
  new RegExp(`^${exchange.request.path.replace('{id}', '[^/]+')}$`).test(request.path);

/** Serves the exchanges of `file`, or those of them named in `only`. */
export async function startFixtureEngine(file: string, only?: string[]): Promise<FixtureEngine> {
  const url = new URL(`../fixtures/vllm/${file}`, import.meta.url);
  const all = (JSON.parse(readFileSync(url, 'utf8')) as { exchanges: Exchange[] }).exchanges;
  const exchanges = only ? all.filter((exchange) => only.includes(exchange.name)) : all;
  const pending = [...exchanges];
  const received: FixtureEngine['received'] = [];
  const server = createServer(async (req, res) => {
    const request = await readRequest(req);
    const index = pending.findIndex((exchange) => matches(exchange, request));
    const exchange = pending.splice(index, 1)[0];
    if (index < 0 || exchange === undefined) {
      res.writeHead(404, { 'content-type': 'application/json' });
      return void res.end(JSON.stringify({ detail: 'Not Found' }));
    }
    received.push({ request, exchange });
    const {
      status,
      contentType = 'application/octet-stream',
      json,
      startsWith,
    } = exchange.response;
    res.writeHead(status, { 'content-type': contentType });
    res.end(json === undefined ? (startsWith ?? 'ftyp-bytes') : JSON.stringify(json));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    exchanges,
    received,
    context: ({ model, mode }) => ({
      engine: { baseUrl, model, mode },
      configId: 'cfg-fixture',
      signal: new AbortController().signal,
      logger: silentLogger(),
    }),
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
