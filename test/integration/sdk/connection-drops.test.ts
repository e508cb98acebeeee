/**
 * Delivery confirmation is bounded by time, not by count: a queue that drops the socket after
 * every 50 results gets every result, and after each drop at most what the last round trip
 * and the outbox held comes again (issue 17: before, everything since the last pong did).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createWorker } from '../../../src/sdk.ts';
import { jobFrame } from '../../support/job-frame.ts';
import { FAST_TIMINGS, until } from '../../support/sdk-worker.ts';
import { type StandInQueue, startStandInQueue } from '../../support/stand-in-queue.ts';

const JOBS = 400;
const CAPACITY = 8;
const DROP_EVERY = 50;

const queues: StandInQueue[] = [];
afterEach(async () => {
  for (const queue of queues.splice(0)) await queue.close();
});

describe('SDK connection: delivery confirmation', () => {
  it(`loses no result and re-sends at most 2 × capacity per drop when the queue drops the socket every ${DROP_EVERY} results`, async () => {
    const queue = await startStandInQueue();
    queues.push(queue);
    const received = new Map<string, number>();
    const outstanding = new Set<string>();
    let next = 0;
    let drops = 0;
    let resentBeforeDrop = 0;
    const resentPerDrop: number[] = [];
    const dispatch = (connection: (typeof queue.connections)[number]) => {
      while (outstanding.size < CAPACITY && next < JOBS) {
        const id = `j${next++}`;
        outstanding.add(id);
        queue.send(connection, jobFrame(id, 0, 'transient', { n: id }));
      }
    };
    queue.onFrame((frame, connection) => {
      if (frame.type === 'register') {
        // A job frame may die with a dropped socket; the worker ignores a re-delivery.
        for (const id of outstanding)
          queue.send(connection, jobFrame(id, 0, 'transient', { n: id }));
        dispatch(connection);
        return;
      }
      if (frame.type !== 'job_result') return;
      const id = frame.job_id!;
      expect(frame.result).toEqual({ echo: { n: id } });
      const times = (received.get(id) ?? 0) + 1;
      received.set(id, times);
      if (times > 1) resentBeforeDrop += 1;
      outstanding.delete(id);
      const onThisSocket = connection.frames.filter((f) => f.type === 'job_result').length;
      if (onThisSocket === DROP_EVERY) {
        drops += 1;
        resentPerDrop.push(resentBeforeDrop);
        resentBeforeDrop = 0;
        connection.ws.terminate();
        return;
      }
      dispatch(connection);
    });
    const worker = createWorker({
      wsUrl: queue.url,
      workerId: 'w-drops',
      configId: 'cfg',
      capacity: CAPACITY,
      onJob: (job) => ({ echo: job.payload }),
      timings: FAST_TIMINGS,
    });
    worker.start();
    try {
      await until(() => received.size === JOBS, 60_000, `results of all ${JOBS} jobs`);
    } finally {
      await worker.stop();
    }
    resentPerDrop.push(resentBeforeDrop);

    expect(drops).toBeGreaterThanOrEqual(Math.floor(JOBS / DROP_EVERY) - 1);
    // What the queue got again after drop n is counted on connection n + 1.
    const resentAfterDrop = resentPerDrop.slice(1);
    expect(Math.max(...resentAfterDrop)).toBeLessThanOrEqual(2 * CAPACITY);
    expect([...received.keys()].sort()).toEqual(
      Array.from({ length: JOBS }, (_, i) => `j${i}`).sort(),
    );
  });
});
