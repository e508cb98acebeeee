/**
 * SIGTERM end to end: `drain`, every running job finishes and its result is delivered, the
 * `stopping` heartbeat, vLLM stopped, exit 0; a second signal cuts the wait short.
 */
import { describe, expect, it } from 'vitest';
import { eventIs, type LocalQueue } from '../../../src/tools/queue/index.ts';
import type { Json } from '../../support/json.ts';
import { postJson } from '../../support/queue-harness.ts';
import { until } from '../../support/sdk-worker.ts';
import { CONFIG_ID, SINK_PATHS, useWorkerHarness } from '../../support/worker-harness.ts';
import { isAlive } from '../../support/worker-process.ts';

const harness = useWorkerHarness();

const chat = (queue: LocalQueue, content: string) =>
  postJson(`${queue.httpUrl}/v1/chat/completions`, {
    model: CONFIG_ID,
    messages: [{ role: 'user', content }],
  });

/** The frame types the queue received after register, in order. */
const framesIn = (queue: LocalQueue) =>
  queue.events
    .filter(eventIs('frame_in', (e) => e.frame.type !== 'register'))
    .map((e) => e.frame.type);

/** Log lines the worker writes as a job reaches vLLM. */
const JOB_STARTED = /"msg":"chat completion"/;

describe('casola-worker run: shutdown on SIGTERM', () => {
  it('drains, delivers the results of all 3 running jobs, says stopping, stops vLLM, exits 0', async () => {
    const { queue, sink, worker } = await harness.start({
      mockArgs: ['--response-delay-ms', '1500'],
    });
    const vllmPid = await worker.vllmPid();
    const answers = Promise.all(['one', 'two', 'three'].map((content) => chat(queue, content)));
    await worker.waitForLines(JOB_STARTED, 3);

    worker.signal('SIGTERM');
    await queue.events.waitFor(eventIs('frame_in', (e) => e.frame.type === 'drain'));
    expect(await worker.exitCode).toBe(0);

    expect(
      (await answers).map((answer) => [
        answer.status,
        (answer.body as Json).choices[0].message.content,
      ]),
    ).toEqual([
      [200, 'one'],
      [200, 'two'],
      [200, 'three'],
    ]);
    expect(framesIn(queue)).toEqual(['drain', 'job_result', 'job_result', 'job_result']);
    const heartbeats = sink.requestsTo(SINK_PATHS.heartbeats).map((r) => (r.body as Json).status);
    expect(heartbeats.at(-1)).toBe('stopping');
    expect(worker.stdout.some((line) => line.includes('Shutting down FastAPI HTTP server.'))).toBe(
      true,
    );
    expect(isAlive(vllmPid)).toBe(false);
  });

  it('Ctrl-C (SIGINT to the whole process group) drains like SIGTERM: the job finishes, exit 0', async () => {
    const { queue, worker } = await harness.start({
      mockArgs: ['--response-delay-ms', '1000'],
      ownProcessGroup: true,
    });
    const vllmPid = await worker.vllmPid();
    const answer = chat(queue, 'still here');
    await worker.waitForLines(JOB_STARTED, 1);

    // A terminal sends it to every process of the foreground group, vLLM's included unless
    // vLLM has a group of its own.
    worker.signalGroup('SIGINT');
    expect(await worker.exitCode).toBe(0);
    const { status, body } = await answer;
    expect([status, (body as Json).choices[0].message.content]).toEqual([200, 'still here']);
    expect(framesIn(queue)).toEqual(['drain', 'job_result']);
    expect(isAlive(vllmPid)).toBe(false);
  });

  it('a signal the worker does not handle (SIGHUP: a closed terminal) takes vLLM down with it', async () => {
    const { worker } = await harness.start({ ownProcessGroup: true });
    const vllmPid = await worker.vllmPid();
    worker.signal('SIGHUP');
    await worker.exitCode;
    await until(() => !isAlive(vllmPid), 5_000, `vLLM (pid ${vllmPid}) to be gone`);
  });

  it('a second signal (SIGINT) stops waiting: running jobs end with an error, the worker still exits 0', async () => {
    const { queue, sink, worker } = await harness.start({
      mockArgs: ['--response-delay-ms', '60000'],
      env: { CASOLA_SHUTDOWN_GRACE_PERIOD: '60' },
    });
    const vllmPid = await worker.vllmPid();
    const answer = chat(queue, 'never answered in time');
    await worker.waitForLine(JOB_STARTED);

    worker.signal('SIGTERM');
    await queue.events.waitFor(eventIs('frame_in', (e) => e.frame.type === 'drain'));
    await worker.waitForLine(/received SIGTERM: shutting down/);
    worker.signal('SIGINT');
    expect(await worker.exitCode).toBe(0);

    await worker.waitForLine(/second signal: not waiting for running jobs/);
    expect(await answer).toEqual({
      status: 502,
      body: { detail: expect.stringMatching(/shut/i) },
      headers: expect.anything(),
    });
    expect(framesIn(queue)).toEqual(['drain', 'job_error']);
    const heartbeats = sink.requestsTo(SINK_PATHS.heartbeats).map((r) => (r.body as Json).status);
    expect(heartbeats.at(-1)).toBe('stopping');
    expect(isAlive(vllmPid)).toBe(false);
  });

  it('SIGTERM during start-up: vLLM stopped, heartbeat stopping, exit 0, the queue never connected', async () => {
    const { queue, sink, worker } = await harness.start({
      mockArgs: ['--startup-delay-ms', '60000'],
      waitRegistered: false,
    });
    await worker.waitForLine(/Starting to load model/);
    worker.signal('SIGTERM');
    expect(await worker.exitCode).toBe(0);

    expect(worker.entries()).toContainEqual(expect.objectContaining({ msg: 'vLLM exited' }));
    expect(worker.stdout.some((line) => line.includes('Shutting down FastAPI HTTP server.'))).toBe(
      true,
    );
    const heartbeats = sink.requestsTo(SINK_PATHS.heartbeats).map((r) => (r.body as Json).status);
    expect(heartbeats).toEqual(['starting', 'stopping']);
    expect(queue.events.filter(eventIs('connection_opened'))).toHaveLength(0);
  });
});
