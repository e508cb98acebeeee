/**
 * SDK workers for tests: fast protocol timers, a recording handler, and cleanup after each
 * test (a worker still running at the end is stopped).
 */
import { afterEach } from 'vitest';
import type { Job, JobContext, JobHandler } from '../../src/jobs/types.ts';
import { type CasolaWorker, createWorker, type WorkerOptions } from '../../src/sdk.ts';
import { eventIs, type LocalQueue } from '../../src/tools/queue/index.ts';
import type { WorkerTimings } from '../../src/worker/logic.ts';

/** Timers short enough for tests; each test may override them. */
export const FAST_TIMINGS: WorkerTimings = {
  pingIntervalMs: 60_000,
  pongTimeoutMs: 60_000,
  reconnectDelayMs: () => 20,
  renewIntervalMs: 60_000,
  gracePeriodMs: 2_000,
};

export type HandlerCall = { job: Job; context: JobContext; abortReason?: unknown };

export type TestWorker = CasolaWorker & { calls: HandlerCall[] };

export function useSdkWorkers() {
  const started: CasolaWorker[] = [];
  afterEach(async () => {
    for (const worker of started.splice(0)) {
      if (worker.actor.getSnapshot().status === 'active') await worker.stop();
    }
  });
  return {
    /**
     * Creates and starts a worker on `queue`; `onJob` defaults to echoing the payload. Resolves
     * once the queue has registered it, unless `waitConnected` is false.
     */
    async start(
      queue: LocalQueue,
      options: Partial<WorkerOptions> = {},
      { waitConnected = true } = {},
    ): Promise<TestWorker> {
      const calls: HandlerCall[] = [];
      const handler: JobHandler = options.onJob ?? ((job) => ({ echo: job.payload }));
      const after = queue.events.lastSeq;
      const worker = createWorker({
        wsUrl: queue.wsUrl,
        workerId: 'w1',
        configId: 'cfg',
        ...options,
        timings: { ...FAST_TIMINGS, ...options.timings },
        onJob: (job, context) => {
          const call: HandlerCall = { job, context };
          calls.push(call);
          context.signal.addEventListener('abort', () => {
            call.abortReason = context.signal.reason;
          });
          return handler(job, context);
        },
      });
      started.push(worker);
      worker.start();
      if (waitConnected) {
        const workerId = options.workerId ?? 'w1';
        await queue.events.waitFor(
          eventIs('worker_registered', (e) => e.workerId === workerId),
          {
            after,
          },
        );
      }
      return Object.assign(worker, { calls });
    },
  };
}

/** A promise the test resolves by hand: lets a handler run until the test says so. */
export function deferred<T = void>() {
  let resolve!: (value: T) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

/** Waits until `predicate` holds, checking after every macrotask; fails after `timeoutMs`. */
export async function until(predicate: () => boolean, timeoutMs = 5_000, what = 'condition') {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}
