/**
 * The SDK's limits, seen from the queue: an inbound frame over maxFrameBytes
 * (CASOLA_MAX_FRAME_BYTES) is logged clearly and costs one reconnect; the waiting line holds
 * as many jobs as the capacity and refuses the rest; the re-delivery memory forgets the oldest
 * of its 1 000 settled jobs.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { type CasolaWorker, createWorker, type WorkerOptions } from '../../src/index.ts';
import { eventIs, type LocalQueue } from '../../src/tools/queue/index.ts';
import { captureLogs } from '../support/log-capture.ts';
import { useQueueHarness } from '../support/queue-harness.ts';

const harness = useQueueHarness();
let worker: CasolaWorker | undefined;
afterEach(async () => {
  await worker?.stop();
  worker = undefined;
});

async function startWorker(queue: LocalQueue, options: Partial<WorkerOptions> = {}) {
  const logs = captureLogs();
  worker = createWorker({
    wsUrl: queue.wsUrl,
    workerId: 'w1',
    configId: 'cfg',
    onJob: () => ({ ok: true }),
    logger: logs.logger,
    timings: { reconnectDelayMs: () => 10 },
    ...options,
  });
  worker.start();
  await queue.events.waitFor(eventIs('worker_registered'));
  return logs;
}

const jobFrame = (jobId: string, mode: 'transient' | 'persisted', payload: unknown = {}) =>
  JSON.stringify({ type: 'job', job_id: jobId, mode, config_id: 'cfg', fence_token: 1, payload });

/** The frames the worker sent about a job. */
const about = (jobId: string) =>
  eventIs('frame_in', (e) => 'job_id' in e.frame && e.frame.job_id === jobId);

describe('maxFrameBytes', () => {
  it('logs a frame over the limit naming the limit and its variable, reconnects, keeps working', async () => {
    const queue = await harness.start();
    const logs = await startWorker(queue, { maxFrameBytes: 4_096 });
    queue.faults.sendRaw('w1', jobFrame('too-big', 'transient', 'x'.repeat(10_000)));
    await queue.events.waitFor(eventIs('worker_registered'), { after: queue.events.lastSeq });
    const warning = logs
      .entries()
      .find((entry) => String(entry.msg).includes('CASOLA_MAX_FRAME_BYTES'));
    expect(warning).toMatchObject({ level: 40 });
    expect(warning?.msg).toContain('4096 bytes');
    const { outcome } = queue.createJob({ payload: { small: true }, mode: 'transient' });
    expect(await outcome).toEqual({ status: 'completed', result: { ok: true } });
    expect(queue.events.filter(about('too-big'))).toEqual([]);
  });
});

describe('the waiting line', () => {
  it('holds as many jobs as the capacity; a transient job beyond it is answered at once', async () => {
    const queue = await harness.start();
    const { promise: released, resolve: release } = Promise.withResolvers<void>();
    await startWorker(queue, {
      capacity: 1,
      onJob: async (job) => {
        if (job.id === 'running') await released;
        return { ran: job.id };
      },
    });
    queue.faults.sendRaw('w1', jobFrame('running', 'transient'));
    queue.faults.sendRaw('w1', jobFrame('waiting', 'transient'));
    queue.faults.sendRaw('w1', jobFrame('refused', 'transient'));
    const refused = await queue.events.waitFor(about('refused'));
    expect(refused.frame).toMatchObject({
      type: 'job_error',
      error: 'worker at capacity: every slot and waiting place is taken',
      fence_token: 0,
    });
    release();
    const waited = await queue.events.waitFor(about('waiting'));
    expect(waited.frame).toMatchObject({ type: 'job_result', result: { ran: 'waiting' } });
  });
});

describe('the re-delivery memory', () => {
  it('ignores a re-delivered settled job until 1 000 newer jobs have pushed it out', async () => {
    const queue = await harness.start();
    const runs: string[] = [];
    await startWorker(queue, {
      capacity: 1,
      onJob: (job) => {
        runs.push(job.id);
        return null;
      },
    });
    const settle = async (jobId: string) => {
      const after = queue.events.lastSeq;
      queue.faults.sendRaw('w1', jobFrame(jobId, 'persisted'));
      await queue.events.waitFor(about(jobId), { after });
    };
    await settle('job-0');
    queue.faults.sendRaw('w1', jobFrame('job-0', 'persisted'));
    for (let i = 1; i <= 1_000; i += 1) await settle(`job-${i}`);
    // job-0 is now the 1 001st most recent: forgotten, so it runs again; job-1000 does not.
    queue.faults.sendRaw('w1', jobFrame('job-1000', 'persisted'));
    await settle('job-0');
    expect(runs.filter((id) => id === 'job-0')).toHaveLength(2);
    expect(runs.filter((id) => id === 'job-1000')).toHaveLength(1);
  });
});
