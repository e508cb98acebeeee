/**
 * `startMockVllm`: a fake `vllm serve` on node:http, for tests in-process and for the
 * `casola-worker mock-vllm serve` executable. It speaks the HTTP surface the worker uses
 * and fails in the ways vLLM fails, on request (see MockVllmOptions).
 */
import { EventEmitter } from 'node:events';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { httpBase } from '../net/http-base.ts';
import { VERSION } from '../version.ts';
import { instantReplies } from './endpoints/instant.ts';
import { handleRequest } from './handler.ts';
import { createLifecycle } from './lifecycle.ts';
import { type MockVllmOptions, type ResolvedOptions, resolveOptions } from './options.ts';
import { type MockState, type MockVllmEvents, releaseHeld } from './state.ts';
import { createVllmLog, type VllmLog } from './vllm-log.ts';

export type { MockVllmOptions } from './options.ts';
export type { FormFields, MockFile, MockRequest } from './request.ts';
export type { MockVllmEvents } from './state.ts';

export type MockVllm = {
  /** `http://host:port`, the root (the OpenAI API is under /v1). */
  url: string;
  port: number;
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
  };
  log.info('utils.py:326', `non-default args: ${JSON.stringify(args)}`);
  if (options.ignoredArgs.length > 0) {
    log.warning('arg_utils.py:1', `mock-vllm ignores: ${options.ignoredArgs.join(' ')}`);
  }
  log.warning('mock.py:1', 'mock-vllm: no GPU, no weights; answers are deterministic echoes');
}

export async function startMockVllm(input: MockVllmOptions = {}): Promise<MockVllm> {
  const options = resolveOptions(input);
  const log = createVllmLog(options.log);
  const events = new EventEmitter<MockVllmEvents>();
  // uvicorn's keep-alive as vLLM runs it: idle connections close after 5 s
  // (VLLM_HTTP_TIMEOUT_KEEP_ALIVE), and no `Keep-Alive` header says so.
  const server = createServer({ keepAliveTimeout: 5_000 });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => resolve());
  });
  options.port = (server.address() as AddressInfo).port;
  const close = () =>
    new Promise<void>((resolve) => {
      state.lifecycle.stop();
      server.close(() => resolve());
      server.closeAllConnections();
    });
  logStart(log, options);
  const state: MockState = {
    options,
    log,
    lifecycle: createLifecycle(options, log, (code) => {
      void close().then(() => events.emit('exit', code));
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
  server.on('request', (req, res) => void handleRequest(state, req, res));
  return {
    url: httpBase(options.host, options.port),
    port: options.port,
    events,
    setHealthy: (healthy) => state.lifecycle.setHealthy(healthy, 'setHealthy()'),
    setQueueDepth: (depth) => {
      state.queueDepth = depth;
    },
    release: () => releaseHeld(state),
    close,
  };
}
