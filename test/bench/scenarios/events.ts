/**
 * Actor events per job: how many events the SDK's actors receive for one job, by mode, counted
 * in this process (with an inspection observer, which the measured clients do not carry) on a
 * local queue. Deterministic: the same figure on every machine.
 */
import type { JobMode } from '../../../src/protocol/index.ts';
import { createWorker } from '../../../src/sdk.ts';
import { eventIs, startLocalQueue } from '../../../src/tools/queue/index.ts';

const JOBS = 400;
const CAPACITY = 8;

/** Events per job the SDK's actors received, over JOBS jobs of `mode` at capacity 8. */
export async function eventsPerJob(mode: JobMode): Promise<number> {
  const queue = await startLocalQueue();
  let events = 0;
  const worker = createWorker({
    wsUrl: queue.wsUrl,
    workerId: 'events',
    configId: 'cfg',
    capacity: CAPACITY,
    onJob: () => ({ ok: true }),
    inspect: (event) => {
      if (event.type === '@xstate.event') events += 1;
    },
  });
  try {
    worker.start();
    await worker.connected();
    await queue.events.waitFor(eventIs('worker_registered'));
    const before = events;
    const jobs = Array.from({ length: JOBS }, () =>
      queue.createJob({ payload: { n: 1 }, config_id: 'cfg', mode }),
    );
    await Promise.all(jobs.map((job) => job.outcome));
    return (events - before) / JOBS;
  } finally {
    await worker.stop();
    await queue.close();
  }
}
