/**
 * The worker's log says how each job ended (one line per end: job id, task, mode, outcome,
 * duration; a failure's message at warn), when it registered with the queue and each time it
 * registered again after a reconnect; debug adds each start.
 */
import { describe, expect, it } from 'vitest';
import { eventIs } from '../../../src/tools/queue/index.ts';
import { captureLogs } from '../../support/log-capture.ts';
import { useQueueHarness } from '../../support/queue-harness.ts';
import { until, useSdkWorkers } from '../../support/sdk-worker.ts';

const queues = useQueueHarness();
const workers = useSdkWorkers();

type Entry = Record<string, unknown>;
const about = (entries: Entry[], jobId: string) => entries.filter((e) => e.job_id === jobId);

describe('job log lines', () => {
  it('logs one line per job end: done at info, a failure at warn with its message', async () => {
    const queue = await queues.start();
    const logs = captureLogs();
    await workers.start(queue, {
      logger: logs.logger,
      onJob: (job) => {
        if ((job.payload as { fail?: boolean }).fail) throw new Error('vLLM answered 502');
        return 'ok';
      },
    });
    const done = queue.createJob({ payload: { task: 'fal/t2v' }, mode: 'persisted' });
    const failed = queue.createJob({
      payload: { task: 'openai/chat', fail: true },
      mode: 'transient',
    });
    await Promise.all([done.outcome, failed.outcome]);

    const ends = (jobId: string) =>
      about(logs.entries(), jobId).filter((e) => e.outcome !== undefined);
    await until(() => ends(failed.jobId).length === 1, 5_000, 'the failed job’s line');
    expect(ends(done.jobId)).toEqual([
      expect.objectContaining({
        level: 30,
        msg: 'job done',
        task: 'fal/t2v',
        mode: 'persisted',
        outcome: 'result',
        duration_ms: expect.any(Number),
      }),
    ]);
    expect(ends(failed.jobId)).toEqual([
      expect.objectContaining({
        level: 40,
        msg: 'job failed: vLLM answered 502',
        task: 'openai/chat',
        mode: 'transient',
        outcome: 'error',
        error: 'vLLM answered 502',
        duration_ms: expect.any(Number),
      }),
    ]);
    const started = about(logs.entries(), done.jobId).filter((e) => e.msg === 'job started');
    expect(started).toEqual([expect.objectContaining({ level: 20, task: 'fal/t2v' })]);
  });

  it('logs a job cut off by shutdown at warn', async () => {
    const queue = await queues.start();
    const logs = captureLogs();
    const worker = await workers.start(queue, {
      logger: logs.logger,
      timings: { gracePeriodMs: 50 },
      onJob: () => new Promise(() => {}),
    });
    const job = queue.createJob({ payload: { task: 'slow' } });
    await until(() => worker.calls.length === 1, 5_000, 'the job to start');
    await worker.stop();
    expect(about(logs.entries(), job.jobId).filter((e) => e.outcome !== undefined)).toEqual([
      expect.objectContaining({
        level: 40,
        msg: 'job cut off by shutdown',
        task: 'slow',
        outcome: 'shutdown',
      }),
    ]);
  });

  it('logs the registration, and each registration again after a reconnect', async () => {
    const queue = await queues.start();
    const logs = captureLogs();
    await workers.start(queue, { logger: logs.logger });
    const registered = () => logs.entries().filter((e) => e.connections !== undefined);
    await until(() => registered().length === 1, 5_000, 'the register line');
    const after = queue.events.lastSeq;
    queue.faults.dropSocket('w1');
    await queue.events.waitFor(eventIs('worker_registered'), { after });
    await until(() => registered().length === 2, 5_000, 'the line of the second register');
    expect(registered().map((e) => [e.level, e.msg])).toEqual([
      [30, 'registered with the queue'],
      [30, 'registered with the queue again after a reconnect (connection 2)'],
    ]);
  });
});
