/**
 * Revocation as the queue sees it: a revoked job stops, and nothing more is sent for it,
 * wherever it was in the worker (running, or waiting for a slot).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { type CasolaWorker, createWorker, type JobHandler } from '../../src/index.ts';
import { eventIs, type LocalQueue } from '../../src/tools/queue/index.ts';
import { captureLogs } from '../support/log-capture.ts';
import { useQueueHarness } from '../support/queue-harness.ts';
import { waitUntil } from '../support/wait.ts';

const harness = useQueueHarness();
let worker: CasolaWorker | undefined;
afterEach(async () => {
  await worker?.stop();
  worker = undefined;
});

const jobFrame = (jobId: string, fenceToken: number) =>
  JSON.stringify({
    type: 'job',
    job_id: jobId,
    mode: 'persisted',
    config_id: 'cfg',
    fence_token: fenceToken,
    payload: {},
  });

async function startWorker(queue: LocalQueue, onJob: JobHandler) {
  const logs = captureLogs();
  worker = createWorker({
    wsUrl: queue.wsUrl,
    workerId: 'w1',
    configId: 'cfg',
    capacity: 1,
    onJob,
    logger: logs.logger,
  });
  worker.start();
  await queue.events.waitFor(eventIs('worker_registered'));
  return logs;
}

describe('a revoked job', () => {
  it('that waits for a slot never runs and sends nothing', async () => {
    const queue = await harness.start();
    const ran: string[] = [];
    const { promise: released, resolve: release } = Promise.withResolvers<void>();
    const logs = await startWorker(queue, async (job) => {
      ran.push(job.id);
      if (job.id === 'first') await released;
      return { ok: true };
    });
    // Capacity 1: `second` waits in the line behind `first` when it is revoked.
    queue.faults.sendRaw('w1', jobFrame('first', 7));
    queue.faults.sendRaw('w1', jobFrame('second', 8));
    const revoked = { type: 'job_revoked', job_id: 'second', reason: 'cancelled' };
    queue.faults.sendRaw('w1', JSON.stringify(revoked));
    queue.faults.sendRaw('w1', jobFrame('third', 9));
    // The worker logs what it did with the revocation; then `first` may finish.
    const seen = (line: string) => line.includes('"job_id":"second"') && line.includes('revo');
    await waitUntil(() => logs.lines().some(seen), 'the revocation to arrive');
    release();
    const notFirst = eventIs('frame_in', (e) => 'job_id' in e.frame && e.frame.job_id !== 'first');
    const next = await queue.events.waitFor(notFirst);
    expect(next.frame).toMatchObject({ job_id: 'third' });
    expect(ran).toEqual(['first', 'third']);
    expect(
      logs
        .lines()
        .filter(seen)
        .map((line) => JSON.parse(line).msg),
    ).toEqual(['revoked job removed from the waiting line: it will not run']);
  });
});
