/**
 * Backpressure end to end: the mock vLLM reports a queue depth on its Prometheus /metrics, and
 * the queue sees `pause` when it passes the pause threshold and `resume` once it is back at or
 * below the resume threshold, each once.
 */
import { describe, expect, it } from 'vitest';
import { eventIs, type LocalQueue } from '../../../src/tools/queue/index.ts';
import { postJson } from '../../support/queue-harness.ts';
import { useWorkerHarness, type WorkerRun } from '../../support/worker-harness.ts';

const harness = useWorkerHarness();

/** The pause, resume and drain frames the queue received, in order. */
const controlFrames = (queue: LocalQueue) =>
  queue.events
    .filter(eventIs('frame_in', (e) => ['pause', 'resume', 'drain'].includes(e.frame.type)))
    .map((e) => e.frame.type);

/** The next frame of `type` the queue receives after event `after` (default: any so far). */
const waitForFrame = (queue: LocalQueue, type: string, after = 0) =>
  queue.events.waitFor(
    eventIs('frame_in', (e) => e.frame.type === type),
    { after },
  );

/** vLLM's access lines for GET /metrics (the backpressure checks), as the worker logged them. */
const METRICS_READ = /\\"GET \/metrics HTTP/;

/** Waits until the worker has read vLLM's /metrics `more` more times: checks that changed nothing. */
async function waitForChecks({ worker }: WorkerRun, more: number): Promise<void> {
  const seen = worker.stdout.filter((line) => METRICS_READ.test(line)).length;
  await worker.waitForLines(METRICS_READ, seen + more);
}

const setDepth = async (run: WorkerRun, depth: number) => {
  const answer = await postJson(`http://127.0.0.1:${run.env.VLLM_PORT}/mock/queue-depth`, {
    depth,
  });
  expect(answer.status).toBe(200);
};

describe('casola-worker run: backpressure', () => {
  it('pauses above the pause threshold and resumes at or below the resume threshold, never twice', async () => {
    const run = await harness.start({
      mockArgs: ['--queue-depth', '5'],
      env: {
        CASOLA_BACKPRESSURE_PAUSE_THRESHOLD: '2',
        CASOLA_BACKPRESSURE_RESUME_THRESHOLD: '1',
      },
    });
    await waitForFrame(run.queue, 'pause');
    await waitForChecks(run, 3);
    expect(run.queue.workers()[0]).toMatchObject({ paused: true });

    await setDepth(run, 2);
    await waitForChecks(run, 3);
    expect(controlFrames(run.queue)).toEqual(['pause']);

    await setDepth(run, 1);
    await waitForFrame(run.queue, 'resume');
    await waitForChecks(run, 3);
    expect(controlFrames(run.queue)).toEqual(['pause', 'resume']);
    expect(run.queue.workers()[0]).toMatchObject({ paused: false });

    const resumed = run.queue.events.lastSeq;
    await setDepth(run, 3);
    const paused = await waitForFrame(run.queue, 'pause', resumed);
    await setDepth(run, 0);
    await waitForFrame(run.queue, 'resume', paused.seq);
    await waitForChecks(run, 3);
    expect(controlFrames(run.queue)).toEqual(['pause', 'resume', 'pause', 'resume']);
  });
});
