/**
 * `startMockVllm`: a fake `vllm serve` on the shared HTTP layer (src/net/http-server.ts), for
 * tests in-process and for the `casola-worker mock-vllm serve` executable. It speaks the HTTP
 * surface the worker uses and fails in the ways vLLM fails, on request (see MockVllmOptions).
 * Two servers: the API
 * port, bound at once but listened on only when loading ends (api-socket.ts), and the control
 * port of the /mock routes, listening from the start so that tests can drive the loading.
 */
import { EventEmitter } from 'node:events';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { httpBase } from '../../net/http-base.ts';
import { closeHttp, createHttpApp, type HttpApp, listenHttp } from '../../net/http-server.ts';
import { VERSION } from '../../version.ts';
import { type BoundSocket, bindApiSocket } from './api-socket.ts';
import { instantReplies } from './endpoints/instant.ts';
import { notFound, registerControlRoutes, registerRoutes } from './handler.ts';
import { createLifecycle } from './lifecycle.ts';
import { type MockVllmOptions, type ResolvedOptions, resolveOptions } from './options.ts';
import { type MockState, type MockVllmEvents, releaseHeld } from './state.ts';
import { createVllmLog, type VllmLog } from './vllm-log.ts';

export type { MockVllmOptions } from './options.ts';
export type { FormFields, MockFile, MockRequest } from './request.ts';
export type { MockVllmEvents } from './state.ts';

export type MockVllm = {
  /** `http://host:port`, the root (the OpenAI API is under /v1); refuses connections while loading. */
  url: string;
  port: number;
  /** `http://host:controlPort`: the /mock routes, answering from the start. */
  controlUrl: string;
  /** `request`, `aborted` and `exit` events (see MockVllmEvents). */
  events: EventEmitter<MockVllmEvents>;
  /** As POST /mock/health; false while starting or after exit (nothing changed). */
  setHealthy(healthy: boolean): boolean;
  /** As POST /mock/queue-depth: what vllm:num_requests_waiting reports. */
  setQueueDepth(depth: number): void;
  /** As POST /mock/release: answers every request held by `responseDelayMs` now; returns how many. */
  release(): number;
  /** Stops listening and closes every connection, in-flight requests included. */
  close(): Promise<void>;
};

function logStart(log: VllmLog, options: ResolvedOptions): void {
  log.info('api_server.py:1090', `vLLM API server version ${VERSION}+mock`);
  const args = {
    model: options.model,
    host: options.host,
    port: options.port,
    served_model_name: [options.servedModelName],
    // As vLLM prints it (vllm/entrypoints/serve/utils/api_utils.py log_non_default_args): verbatim.
    ...(options.apiKey === undefined ? {} : { api_key: [options.apiKey] }),
  };
  log.info('utils.py:326', `non-default args: ${JSON.stringify(args)}`);
  if (options.ignoredArgs.length > 0) {
    log.warning('arg_utils.py:1', `mock-vllm ignores: ${options.ignoredArgs.join(' ')}`);
  }
  log.warning('mock.py:1', 'mock-vllm: no GPU, no weights; answers are deterministic echoes');
  const control = httpBase(options.host, options.controlPort);
  log.info('mock.py:1', `mock-vllm control routes (/mock/*) on ${control}`);
}

/**
 * uvicorn's keep-alive as vLLM runs it: a connection idle this long is closed, without a
 * `Keep-Alive` header to say so (`timeout_keep_alive=envs.VLLM_HTTP_TIMEOUT_KEEP_ALIVE`,
 * `VLLM_HTTP_TIMEOUT_KEEP_ALIVE` default "5" in vllm/envs.py, passed by
 * vllm/entrypoints/openai/api_server.py).
 */
const UVICORN_KEEP_ALIVE_MS = 5_000;

/** Ends each connection `idleMs` after its last answer, unless another request came. */
function closeIdleConnections(server: Server, idleMs: number): void {
  const timers = new WeakMap<Socket, NodeJS.Timeout>();
  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    const socket = req.socket;
    clearTimeout(timers.get(socket));
    res.once('finish', () => {
      const timer = setTimeout(() => socket.end(), idleMs);
      timer.unref();
      timers.set(socket, timer);
    });
  });
}

/** Closes the API server (closeHttp closes it when it listens); an unserved socket is released. */
async function closeApi(app: HttpApp, socket: BoundSocket): Promise<void> {
  socket.close();
  await closeHttp(app);
}

/** The API port's server, ready to listen: every route of the mode, uvicorn's keep-alive. */
async function createApiApp(options: ResolvedOptions, current: () => MockState) {
  // Node's own keep-alive timeout announces itself (`Keep-Alive: timeout=5`); uvicorn's does not.
  const app = createHttpApp({
    server: { keepAliveTimeout: 0 },
    badRequest: (request, reply) => notFound(current)(request, reply),
  });
  closeIdleConnections(app.server, UVICORN_KEEP_ALIVE_MS);
  registerRoutes(app, options.omni, current);
  await app.ready();
  return app;
}

/** The control port's server, listening: the /mock routes only. Closes the API socket if it fails. */
async function listenControl(options: ResolvedOptions, current: () => MockState, api: BoundSocket) {
  const app = createHttpApp({ badRequest: (request, reply) => notFound(current)(request, reply) });
  registerControlRoutes(app, current);
  try {
    options.controlPort = await listenHttp(app, options.host, options.controlPort);
  } catch (error) {
    api.close();
    throw error;
  }
  return app;
}

export async function startMockVllm(input: MockVllmOptions = {}): Promise<MockVllm> {
  const options = resolveOptions(input);
  const log = createVllmLog(options.log);
  const events = new EventEmitter<MockVllmEvents>();
  const current = () => state;
  const api = await createApiApp(options, current);
  // Bound first, as vLLM binds before anything else: a port in use fails the start.
  const socket = await bindApiSocket(options.host, options.port);
  options.port = socket.port;
  const control = await listenControl(options, current, socket);
  let closing: Promise<void> | undefined;
  const close = () => {
    state.lifecycle.stop();
    closing ??= Promise.all([closeApi(api, socket), closeHttp(control)]).then(() => undefined);
    return closing;
  };
  // uvicorn's own listen failing (the port taken meanwhile by a server sharing it) ends vLLM.
  api.server.once('error', (error) => {
    log.error('launcher.py:1', `error while attempting to listen: ${error.message}`);
    state.lifecycle.exit();
  });
  logStart(log, options);
  const state: MockState = {
    options,
    log,
    lifecycle: createLifecycle(options, log, {
      serve: () => socket.serve(api.server),
      exit: (code) => void close().then(() => events.emit('exit', code)),
    }),
    events,
    received: 0,
    inferences: 0,
    running: 0,
    succeeded: 0,
    queueDepth: options.queueDepth,
    instantReplies: options.instant ? instantReplies(options.servedModelName) : undefined,
    held: new Set(),
    aborted: [],
    videos: new Map(),
  };
  return {
    url: httpBase(options.host, options.port),
    port: options.port,
    controlUrl: httpBase(options.host, options.controlPort),
    events,
    setHealthy: (healthy) => state.lifecycle.setHealthy(healthy, 'setHealthy()'),
    setQueueDepth: (depth) => {
      state.queueDepth = depth;
    },
    release: () => releaseHeld(state),
    close,
  };
}
