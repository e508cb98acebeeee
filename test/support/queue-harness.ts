/**
 * Starts local queues and hand-driven ws workers for a test file, and closes them all
 * after each test.
 */
import { afterEach } from 'vitest';
import type { JsonValue } from '../../src/protocol/index.ts';
import {
  type CreateJobOptions,
  eventIs,
  type LocalQueue,
  type LocalQueueOptions,
  startLocalQueue,
} from '../../src/tools/queue/index.ts';
import { type ConnectOptions, TestWsClient } from './ws-client.ts';

export type QueueHarness = {
  start(options?: LocalQueueOptions): Promise<LocalQueue>;
  /** Connects a ws worker, registers it, and waits until the queue has registered it. */
  worker(
    queue: LocalQueue,
    workerId: string,
    options?: { configId?: string; capacity?: number; headers?: Record<string, string> },
  ): Promise<TestWsClient>;
  /** Connects without registering. */
  connect(queue: LocalQueue, options?: ConnectOptions): Promise<TestWsClient>;
};

export function useQueueHarness(): QueueHarness {
  const opened: { close(): Promise<void> }[] = [];
  afterEach(async () => {
    for (const resource of opened.reverse()) await resource.close();
    opened.length = 0;
  });
  const connect = async (queue: LocalQueue, options?: ConnectOptions) => {
    const client = await TestWsClient.connect(queue.wsUrl, options);
    opened.push(client);
    return client;
  };
  return {
    async start(options) {
      const queue = await startLocalQueue(options);
      opened.push(queue);
      return queue;
    },
    connect,
    async worker(queue, workerId, options = {}) {
      const after = queue.events.lastSeq;
      const client = await connect(queue, {
        headers: options.headers ?? {},
        register: {
          worker_id: workerId,
          config_id: options.configId ?? 'cfg',
          capacity: options.capacity ?? 1,
        },
      });
      await queue.events.waitFor(
        eventIs('worker_registered', (event) => event.workerId === workerId),
        { after },
      );
      return client;
    },
  };
}

/** POSTs JSON and returns the status and parsed body. */
export async function postJson(
  url: string,
  body: unknown,
): Promise<{ status: number; body: unknown; headers: Headers }> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await response.text();
  return { status: response.status, body: parseOrText(text), headers: response.headers };
}

export async function getJson(url: string): Promise<{ status: number; body: unknown }> {
  const response = await fetch(url);
  return { status: response.status, body: parseOrText(await response.text()) };
}

function parseOrText(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/** Answers the next unanswered job frame with a result or an error; returns its payload. */
export async function answerNextJob(
  worker: TestWsClient,
  answer: { result: JsonValue } | { error: string },
): Promise<JsonValue> {
  const answered = new Set(
    worker.sent.flatMap((frame) => ('job_id' in frame ? [frame.job_id] : [])),
  );
  const job = await worker.waitForFrame('job', (frame) => !answered.has(frame.job_id));
  const base = { job_id: job.job_id, fence_token: job.fence_token };
  if ('error' in answer) worker.send({ type: 'job_error', error: answer.error, ...base });
  else worker.send({ type: 'job_result', result: answer.result, ...base });
  return job.payload;
}

/**
 * Creates a job, takes its dispatch on `worker`, revokes it with a re-dispatch and takes the
 * new dispatch (a higher fence token): the job's id and both job frames.
 */
export async function dispatchTwice(
  queue: LocalQueue,
  worker: TestWsClient,
  job: CreateJobOptions = { payload: {} },
) {
  const { jobId } = queue.createJob(job);
  const first = await worker.waitForFrame('job');
  queue.faults.revokeJob(jobId, { reason: 'moved', redispatch: true });
  const second = await worker.waitForFrame('job', (frame) => frame.fence_token > first.fence_token);
  return { jobId, first, second };
}
