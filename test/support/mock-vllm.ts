/**
 * The in-process mock vLLM for tests: started on port 0, with the requests it received
 * recorded and a TaskContext pointing at it.
 */
import { once } from 'node:events';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { silentLogger } from '../../src/observability/logger.ts';
import type { TaskContext } from '../../src/tasks/index.ts';
import {
  type MockRequest,
  type MockVllm,
  type MockVllmOptions,
  startMockVllm,
} from '../../src/tools/mock-vllm/server.ts';

export const SERVED_MODEL = 'served-model';

/** The form fields of a fal video job with worker.md's defaults, as vLLM-Omni receives them. */
export const DEFAULT_VIDEO_FORM = {
  model: SERVED_MODEL,
  width: '1280',
  height: '720',
  num_frames: '81',
  fps: '16',
  num_inference_steps: '50',
  guidance_scale: '7',
};

export type TestMockVllm = MockVllm & {
  /** Every request received, in order (health and metrics included). */
  received: MockRequest[];
  /** A TaskContext for this mock; `signal` defaults to one never aborted. */
  context(signal?: AbortSignal): TaskContext;
  /** Resolves with the next request closed by its client before the answer. */
  nextAborted(): Promise<MockRequest>;
};

/**
 * A job's task context against the engine at `baseUrl` (vLLM-Omni unless said otherwise, as
 * it serves every task), for config `cfg-test`.
 */
export function taskContext(
  baseUrl: string,
  signal = new AbortController().signal,
  engine: Partial<TaskContext['engine']> = {},
): TaskContext {
  return {
    engine: { baseUrl, model: SERVED_MODEL, mode: 'omni', ...engine },
    configId: 'cfg-test',
    signal,
    logger: silentLogger(),
  };
}

export async function startTestMockVllm(options: MockVllmOptions = {}): Promise<TestMockVllm> {
  const mock = await startMockVllm({ servedModelName: SERVED_MODEL, ...options });
  const received: MockRequest[] = [];
  mock.events.on('request', (request) => received.push(request));
  return Object.assign(mock, {
    received,
    context: (signal?: AbortSignal) => taskContext(mock.url, signal),
    nextAborted: async () => ((await once(mock.events, 'aborted')) as [MockRequest])[0],
  });
}

/** Resolves once the mock has received `count` requests in all. */
export async function requestsReceived(mock: TestMockVllm, count: number): Promise<void> {
  while (mock.received.length < count) await once(mock.events, 'request');
}

/**
 * An engine that answers every request with one fixed reply: for what the mock vLLM never says
 * (an error object in a 200, a 64-bit seed). Close it with `close()`.
 */
export async function startFixedEngine(reply: { contentType: string; body: string }) {
  const server = createServer((_, res) => {
    res.writeHead(200, { 'content-type': reply.contentType });
    res.end(reply.body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    context: () => taskContext(`http://127.0.0.1:${port}`),
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
