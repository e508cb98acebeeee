/**
 * SIGTERM with the queue away (issue 21, item 1), end to end: `casola-worker run` on the mock
 * vLLM, a local queue that closes while a job runs and, in the first case, is back on the same
 * port within the grace period. The finished job's result reaches the queue that came back and
 * the worker exits 0; when no queue comes back, the result is named in the log and the exit
 * code is 3.
 */
import { describe, expect, it } from 'vitest';
import { eventIs, type LocalQueue, startLocalQueue } from '../../../src/tools/queue/index.ts';
import { freePort } from '../../support/free-port.ts';
import { postJson } from '../../support/queue-harness.ts';
import { API_TOKEN, CONFIG_ID, useWorkerHarness } from '../../support/worker-harness.ts';

const harness = useWorkerHarness();

/** A chat request through the queue: one transient job. Its answer is never awaited. */
function chat(queue: LocalQueue): void {
  postJson(`${queue.httpUrl}/v1/chat/completions`, {
    model: CONFIG_ID,
    messages: [{ role: 'user', content: 'finished while the queue is away' }],
  }).catch(() => {});
}

/** The id of the one job the queue dispatched, once it has. */
async function dispatchedJob(queue: LocalQueue): Promise<string> {
  return (await queue.events.waitFor(eventIs('job_dispatched'))).jobId;
}

describe('casola-worker run: SIGTERM while the queue is away', () => {
  it('delivers the result to the queue once it is back within the grace period, then exits 0', async () => {
    const port = await freePort();
    const { queue, worker } = await harness.start({
      mockArgs: ['--response-delay-ms', '3000'],
      env: { CASOLA_SHUTDOWN_GRACE_PERIOD: '30' },
      queue: { port },
    });
    chat(queue);
    const jobId = await dispatchedJob(queue);
    await worker.waitForLine(/"msg":"chat completion"/);
    await queue.close();
    worker.signal('SIGTERM');
    // Two refused attempts: the job (3 s) has ended meanwhile and its result waits.
    await worker.waitForLines(/ECONNREFUSED/, 2);
    const back = await startLocalQueue({ requireToken: API_TOKEN, port });
    try {
      expect(await worker.exitCode).toBe(0);
      const frames = back.events.filter(eventIs('frame_in')).map((e) => e.frame);
      expect(frames.map((f) => f.type)).toEqual(['register', 'drain', 'job_result']);
      expect(frames[2]).toMatchObject({ job_id: jobId });
    } finally {
      await back.close();
    }
  });

  it('names the result it could not deliver and exits 3 when the queue stays away', async () => {
    const { queue, worker } = await harness.start({
      mockArgs: ['--response-delay-ms', '1000'],
      env: { CASOLA_SHUTDOWN_GRACE_PERIOD: '3' },
    });
    chat(queue);
    const jobId = await dispatchedJob(queue);
    await worker.waitForLine(/"msg":"chat completion"/);
    await queue.close();
    worker.signal('SIGTERM');

    expect(await worker.exitCode).toBe(3);
    expect(worker.entries()).toContainEqual(
      expect.objectContaining({
        level: 50,
        job_id: jobId,
        msg: `the job_result of job ${jobId} was not delivered: the queue did not confirm it before the connection closed`,
      }),
    );
    expect(worker.entries()).toContainEqual(
      expect.objectContaining({ msg: 'worker stopped', exit_code: 3 }),
    );
  });
});
