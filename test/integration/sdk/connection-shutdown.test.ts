/**
 * Shutdown without loss (issue 21, items 1 and 2), from outside: real sockets to a stand-in
 * queue that goes away and comes back, or sits behind a slow link. A result finished while the
 * queue is away is delivered once it is back within the grace period; what cannot be delivered
 * is logged by job id and makes stop() answer exit code 3; a second stop() cuts the wait short;
 * a large result on a slow link arrives before the close.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { type CasolaWorker, createWorker, type WorkerOptions } from '../../../src/sdk.ts';
import { jobFrame } from '../../support/job-frame.ts';
import { captureLogs } from '../../support/log-capture.ts';
import { deferred, FAST_TIMINGS, until } from '../../support/sdk-worker.ts';
import { type StandInQueue, startStandInQueue } from '../../support/stand-in-queue.ts';
import { startTcpProxy, type TcpProxy } from '../../support/tcp-proxy.ts';

const opened: Array<StandInQueue | TcpProxy> = [];
const workers: CasolaWorker[] = [];
afterEach(async () => {
  for (const worker of workers.splice(0)) {
    if (worker.actor.getSnapshot().status === 'active') {
      void worker.stop();
      await worker.stop(); // a second stop ends any wait at once
    }
  }
  for (const resource of opened.splice(0)) await resource.close();
});

async function standIn(): Promise<StandInQueue> {
  const queue = await startStandInQueue();
  opened.push(queue);
  return queue;
}

/** A worker whose one job runs until the test releases it with its result. */
async function startWorker(queue: StandInQueue, url: string, options: Partial<WorkerOptions>) {
  const release = deferred<unknown>();
  const started = deferred();
  const worker = createWorker({
    wsUrl: url,
    workerId: 'w-stop',
    configId: 'cfg',
    onJob: () => {
      started.resolve();
      return release.promise;
    },
    ...options,
    timings: { ...FAST_TIMINGS, reconnectDelayMs: () => 50, ...options.timings },
  });
  workers.push(worker);
  worker.start();
  await worker.connected();
  queue.send(queue.connections.at(-1)!, jobFrame('j1', 1, 'persisted', { n: 1 }));
  await started.promise;
  return { worker, release: release.resolve };
}

/**
 * The queue goes away while the job runs; stop() comes, then the job's result, which waits in
 * the outbox. Resolves once the job has ended, with stop()'s promise.
 */
async function stopWithQueueAway(options: Partial<WorkerOptions>) {
  const queue = await standIn();
  const { worker, release } = await startWorker(queue, queue.url, options);
  await queue.goAway();
  const stopped = worker.stop();
  release({ done: true });
  await until(() => Object.keys(worker.state().jobs).length === 0, 5_000, 'the job to end');
  return { queue, worker, stopped };
}

/** The frame types a connection carried, with the job each is about. */
const carried = (queue: StandInQueue, index: number) =>
  queue.connections[index]!.frames.map((f) => (f.job_id ? `${f.type}:${f.job_id}` : f.type));

describe('SDK stop(): results are delivered within the grace period', () => {
  it('delivers a result finished while the queue is away once it is back, and answers exit code 0', async () => {
    const { queue, stopped } = await stopWithQueueAway({ timings: { gracePeriodMs: 20_000 } });
    await queue.comeBack();

    expect(await stopped).toEqual({ exitCode: 0, failure: undefined });
    expect(carried(queue, 1)).toEqual(['register', 'drain', 'job_result:j1']);
    expect(queue.connections[1]!.frames[2]).toMatchObject({
      result: { done: true },
      fence_token: 1,
    });
  });

  it('names each result it could not deliver by job id and answers exit code 3 when the queue stays away', async () => {
    const logs = captureLogs();
    const { stopped } = await stopWithQueueAway({
      logger: logs.logger,
      timings: { gracePeriodMs: 500 },
    });

    expect(await stopped).toEqual({ exitCode: 3, failure: undefined });
    expect(logs.entries()).toContainEqual(
      expect.objectContaining({
        level: 50,
        job_id: 'j1',
        msg: 'the job_result of job j1 was not delivered: the queue did not confirm it before the connection closed',
      }),
    );
  });

  it('stops waiting for the queue on a second stop()', async () => {
    const { worker, stopped } = await stopWithQueueAway({ timings: { gracePeriodMs: 600_000 } });
    void worker.stop();
    expect(await stopped).toEqual({ exitCode: 3, failure: undefined });
  });

  it('lets a 20 MB result cross a 4 MB/s link before it closes', async () => {
    const queue = await standIn();
    const link = await startTcpProxy({ targetPort: queue.port, bytesPerSecond: 4_000_000 });
    opened.push(link);
    const { worker, release } = await startWorker(queue, `ws://127.0.0.1:${link.port}`, {
      timings: { gracePeriodMs: 30_000 },
    });
    const stopped = worker.stop();
    release('x'.repeat(20_000_000));

    expect(await stopped).toEqual({ exitCode: 0, failure: undefined });
    const result = queue.connections[0]!.frames.find((f) => f.type === 'job_result');
    expect((result?.result as string | undefined)?.length).toBe(20_000_000);
  }, 60_000);
});
