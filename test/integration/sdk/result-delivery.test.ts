/**
 * A finished result always reaches the queue: a transient job's result goes inline whatever
 * its size (protocol.md offloads persisted jobs only), and a persisted job's result whose PUT
 * outlasts the grace period is sent inline rather than thrown away.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { type CasolaWorker, createWorker, type WorkerOptions } from '../../../src/sdk.ts';
import { type HttpSink, startHttpSink } from '../../support/http-sink.ts';
import { jobFrame } from '../../support/job-frame.ts';
import { FAST_TIMINGS, until } from '../../support/sdk-worker.ts';
import { type StandInQueue, startStandInQueue } from '../../support/stand-in-queue.ts';

const opened: Array<StandInQueue | HttpSink> = [];
const workers: CasolaWorker[] = [];
afterEach(async () => {
  for (const worker of workers.splice(0)) {
    if (worker.actor.getSnapshot().status === 'active') {
      void worker.stop();
      await worker.stop();
    }
  }
  for (const resource of opened.splice(0)) await resource.close();
});

/** Over the 256 KiB offload threshold. */
const BIG = 'x'.repeat(300_000);

async function start(options: Partial<WorkerOptions> = {}) {
  const queue = await startStandInQueue();
  const sink = await startHttpSink();
  opened.push(queue, sink);
  sink.respond('/result', { hang: true });
  const worker = createWorker({
    wsUrl: queue.url,
    workerId: 'w-deliver',
    configId: 'cfg',
    onJob: () => BIG,
    ...options,
    timings: { ...FAST_TIMINGS, ...options.timings },
  });
  workers.push(worker);
  worker.start();
  await worker.connected();
  return { queue, sink, worker, connection: queue.connections.at(-1)! };
}

/** The outcome frames the queue read, each result by its size in bytes of JSON. */
const outcomes = (queue: StandInQueue) =>
  queue.connections
    .flatMap((c) => c.frames)
    .filter((f) => f.type.startsWith('job_'))
    .map(({ result, ...frame }) => ({ ...frame, bytes: JSON.stringify(result)?.length }));

describe('result delivery', () => {
  it('answers a transient job inline even with a result_upload_url and a result over 256 KiB', async () => {
    const { queue, sink, connection } = await start();
    const frame = { ...jobFrame('t1', 7, 'transient'), result_upload_url: `${sink.url}/result` };
    queue.send(connection, frame);
    await until(() => outcomes(queue).length > 0, 5_000, 'the outcome');
    expect(outcomes(queue)).toEqual([
      { type: 'job_result', job_id: 't1', fence_token: 0, bytes: BIG.length + 2 },
    ]);
    expect(sink.requestsTo('/result')).toEqual([]);
  });

  it('sends a persisted result inline when its PUT outlasts the grace period', async () => {
    const { queue, sink, worker, connection } = await start({ timings: { gracePeriodMs: 300 } });
    const frame = { ...jobFrame('p1', 5, 'persisted'), result_upload_url: `${sink.url}/result` };
    queue.send(connection, frame);
    await sink.waitFor((r) => r.path === '/result');
    await worker.stop();
    expect(outcomes(queue)).toEqual([
      { type: 'job_result', job_id: 'p1', fence_token: 5, bytes: BIG.length + 2 },
    ]);
  });
});
