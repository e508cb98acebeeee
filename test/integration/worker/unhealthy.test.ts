/**
 * A vLLM whose /health fails while jobs run (issue 21 item 7): the queue is told `pause` and
 * `resume` when it recovers; after VLLM_UNHEALTHY_TIMEOUT a transient job is answered with a
 * job_error naming why, and a persisted one is given up without a word, so that its lease
 * expires and the queue re-dispatches it.
 */
import { describe, expect, it } from 'vitest';
import { eventIs, type LocalQueue } from '../../../src/tools/queue/index.ts';
import type { Json } from '../../support/json.ts';
import { getJson, postJson } from '../../support/queue-harness.ts';
import { CONFIG_ID, useWorkerHarness, type WorkerRun } from '../../support/worker-harness.ts';

const harness = useWorkerHarness();

const PAYLOAD = { model: CONFIG_ID, messages: [{ role: 'user', content: 'hi' }] };

/** The pause, resume and drain frames the queue received, in order. */
const controlFrames = (queue: LocalQueue) =>
  queue.events
    .filter(eventIs('frame_in', (e) => ['pause', 'resume', 'drain'].includes(e.frame.type)))
    .map((e) => e.frame.type);

const waitForFrame = (queue: LocalQueue, type: string) =>
  queue.events.waitFor(
    eventIs('frame_in', (e) => e.frame.type === type),
    { timeoutMs: 20_000 },
  );

const setHealthy = async (run: WorkerRun, healthy: boolean) => {
  const answer = await postJson(`http://127.0.0.1:${run.env.VLLM_PORT}/mock/health`, { healthy });
  expect(answer.status).toBe(200);
};

/** Log lines the worker writes as a job reaches vLLM. */
const JOB_STARTED = /"msg":"chat completion"/;

describe('casola-worker run: vLLM unhealthy', () => {
  it('pauses while /health fails and resumes once it answers again', async () => {
    const run = await harness.start();
    await setHealthy(run, false);
    await waitForFrame(run.queue, 'pause');
    expect(run.queue.workers()[0]).toMatchObject({ paused: true });

    await setHealthy(run, true);
    await waitForFrame(run.queue, 'resume');
    expect(controlFrames(run.queue)).toEqual(['pause', 'resume']);
    expect(run.queue.workers()[0]).toMatchObject({ paused: false });
  });

  it('does not resume a pause it did not make: paused by backpressure, unhealthy, healthy again', async () => {
    const run = await harness.start({
      mockArgs: ['--queue-depth', '5'],
      env: { CASOLA_BACKPRESSURE_PAUSE_THRESHOLD: '2', CASOLA_BACKPRESSURE_RESUME_THRESHOLD: '1' },
    });
    await waitForFrame(run.queue, 'pause');
    await setHealthy(run, false);
    await run.worker.waitForLines(/vLLM is unhealthy/, 1);
    await setHealthy(run, true);
    await run.worker.waitForLines(/vLLM is healthy again/, 1);
    // Still backed up: three more depth checks, and the queue stays paused.
    const METRICS_READ = /\\"GET \/metrics HTTP/;
    const seen = run.worker.stdout.filter((line) => METRICS_READ.test(line)).length;
    await run.worker.waitForLines(METRICS_READ, seen + 3);
    expect(controlFrames(run.queue)).toEqual(['pause']);
    expect(run.queue.workers()[0]).toMatchObject({ paused: true });
  });

  it('after VLLM_UNHEALTHY_TIMEOUT: job_error for a transient job, a persisted one left to its lease', async () => {
    const run = await harness.start({
      mockArgs: ['--response-delay-ms', '120000'],
      env: { VLLM_UNHEALTHY_TIMEOUT: '0.5' },
    });
    const created = await postJson(`${run.queue.httpUrl}/jobs`, {
      payload: { task: 'openai/chat-completion', ...PAYLOAD },
    });
    const persistedId = (created.body as Json).id as string;
    const transient = postJson(`${run.queue.httpUrl}/v1/chat/completions`, PAYLOAD);
    await run.worker.waitForLines(JOB_STARTED, 2);

    await setHealthy(run, false);
    await waitForFrame(run.queue, 'pause');
    const answer = await transient;
    const message =
      'vLLM was unhealthy (its /health failing) for 0.5 s (VLLM_UNHEALTHY_TIMEOUT): the job was given up';
    expect(answer).toMatchObject({ status: 502, body: { detail: message } });

    // The persisted job ended here without a frame: the queue still holds its lease.
    const ended = await run.worker.waitForLine(/job given up: vLLM stayed unhealthy/);
    expect(JSON.parse(ended)).toMatchObject({
      job_id: persistedId,
      mode: 'persisted',
      outcome: 'engine_unhealthy',
    });
    const forPersisted = run.queue.events.filter(
      eventIs('frame_in', (e) => 'job_id' in e.frame && e.frame.job_id === persistedId),
    );
    expect(forPersisted.map((e) => e.frame.type)).toEqual([]);
    expect((await getJson(`${run.queue.httpUrl}/jobs/${persistedId}`)).body).toMatchObject({
      status: 'running',
    });
    const said = run.worker.stdout.filter((line) =>
      line.includes('running jobs are given up: transient ones are answered with job_error'),
    );
    expect(said).toHaveLength(1);
    expect(said[0]).toContain('unhealthy for 0.5 s (VLLM_UNHEALTHY_TIMEOUT)');
  });
});
