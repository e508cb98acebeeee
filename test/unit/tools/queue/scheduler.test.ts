import { describe, expect, it } from 'vitest';
import { eventIs, type LocalQueue } from '../../../../src/tools/queue/index.ts';
import { getJson, postJson, useQueueHarness } from '../../../support/queue-harness.ts';
import type { TestWsClient } from '../../../support/ws-client.ts';

const harness = useQueueHarness();

/** Waits until the queue has handled this worker's frame of `type`. */
function handled(queue: LocalQueue, workerId: string, type: string) {
  return queue.events.waitFor(
    eventIs('frame_in', (event) => event.workerId === workerId && event.frame.type === type),
    { after: queue.events.lastSeq },
  );
}

async function send(
  queue: LocalQueue,
  worker: TestWsClient,
  id: string,
  type: 'drain' | 'pause' | 'resume',
) {
  const done = handled(queue, id, type);
  worker.send({ type });
  await done;
}

describe('dispatch', () => {
  it('spreads jobs over two workers by load', async () => {
    const queue = await harness.start();
    const a = await harness.worker(queue, 'a', { capacity: 2 });
    const b = await harness.worker(queue, 'b', { capacity: 2 });
    for (let i = 0; i < 4; i += 1) queue.createJob({ payload: { i } });
    await a.waitFor(() => a.frames('job').length === 2);
    await b.waitFor(() => b.frames('job').length === 2);
    expect(queue.getJob(a.frames('job')[0]!.job_id)?.worker_id).toBe('a');
    const fifth = queue.createJob({ payload: { i: 4 } });
    expect(queue.getJob(fifth.jobId)?.status).toBe('pending');
    const first = b.frames('job')[0]!;
    b.send({
      type: 'job_result',
      job_id: first.job_id,
      result: 'ok',
      fence_token: first.fence_token,
    });
    await b.waitForFrame('job', (frame) => frame.job_id === fifth.jobId);
    expect(a.frames('job')).toHaveLength(2);
  });

  it("fails a job whose payload no frame can carry, and keeps the worker's slot free", async () => {
    const queue = await harness.start();
    const worker = await harness.worker(queue, 'w', { capacity: 1 });
    let deep: unknown = 'bottom';
    for (let i = 0; i < 20_000; i += 1) deep = [deep];
    const unsendable = queue.createJob({ payload: { deep } as never });
    await expect(unsendable.outcome).resolves.toMatchObject({
      status: 'failed',
      error: expect.stringContaining('the job could not be sent to a worker'),
    });
    const next = queue.createJob({ payload: { n: 1 } });
    await worker.waitForFrame('job', (frame) => frame.job_id === next.jobId);
  });

  it('routes a REST model to workers of that config, otherwise to any; a POST /jobs config_id only to its own', async () => {
    const queue = await harness.start();
    const llama = await harness.worker(queue, 'l', { configId: 'llama', capacity: 5 });
    const qwen = await harness.worker(queue, 'q', { configId: 'qwen', capacity: 5 });
    void postJson(`${queue.httpUrl}/v1/embeddings`, { model: 'qwen', input: 'x' });
    await qwen.waitForFrame('job', (frame) => frame.config_id === 'qwen');
    const created = await postJson(`${queue.httpUrl}/jobs`, { payload: {}, config_id: 'llama' });
    const id = (created.body as { id: string }).id;
    await llama.waitForFrame('job', (frame) => frame.job_id === id);
    const before = queue.events.lastSeq;
    void postJson(`${queue.httpUrl}/v1/embeddings`, { model: 'unserved', input: 'x' });
    const anyWorker = await queue.events.waitFor(eventIs('job_dispatched'), { after: before });
    expect(['l', 'q']).toContain(anyWorker.workerId);
    // Issue 18, item 8: a job for config `mistral` waits for a `mistral` worker; it used to
    // run on whichever worker was connected.
    const created2 = await postJson(`${queue.httpUrl}/jobs`, { payload: {}, config_id: 'mistral' });
    const other = (created2.body as { id: string }).id;
    const mistral = await harness.worker(queue, 'm', { configId: 'mistral' });
    const frame = await mistral.waitForFrame('job');
    expect(frame).toMatchObject({ job_id: other, config_id: 'mistral' });
    expect(queue.events.filter(eventIs('job_dispatched', (e) => e.jobId === other))).toEqual([
      expect.objectContaining({ workerId: 'm' }),
    ]);
    expect(qwen.frames('job').every((frame) => frame.config_id === 'qwen')).toBe(true);
  });

  it('moves a persisted job pending → running → completed over POST /jobs and GET /jobs/{id}', async () => {
    const queue = await harness.start();
    const created = await postJson(`${queue.httpUrl}/jobs`, {
      payload: { task: 'fal/text-to-video', prompt: 'p' },
      config_id: 'cfg',
    });
    expect(created.status).toBe(200);
    const job = created.body as { id: string; created_at: number };
    expect(created.body).toEqual({
      id: job.id,
      config_id: 'cfg',
      status: 'pending',
      payload: { task: 'fal/text-to-video', prompt: 'p' },
      result: null,
      error: null,
      fence_token: 0,
      created_at: expect.any(Number),
    });
    const worker = await harness.worker(queue, 'w1');
    const frame = await worker.waitForFrame('job');
    expect(frame).toMatchObject({ job_id: job.id, mode: 'persisted', config_id: 'cfg' });
    expect(frame.fence_token).toBeGreaterThan(0);
    expect(frame.result_upload_url).toBeUndefined();
    expect(frame.payload_url).toBeUndefined();
    expect((await getJson(`${queue.httpUrl}/jobs/${job.id}`)).body).toMatchObject({
      status: 'running',
      fence_token: frame.fence_token,
    });
    worker.send({
      type: 'job_result',
      job_id: job.id,
      result: { video_b64: 'AA' },
      fence_token: frame.fence_token,
    });
    await queue.events.waitFor(eventIs('outcome_accepted', (event) => event.jobId === job.id));
    expect((await getJson(`${queue.httpUrl}/jobs/${job.id}`)).body).toMatchObject({
      status: 'completed',
      result: { video_b64: 'AA' },
      error: null,
    });
  });

  it('fails a persisted job on job_error', async () => {
    const queue = await harness.start();
    const worker = await harness.worker(queue, 'w1');
    const { jobId, outcome } = queue.createJob({ payload: {} });
    const frame = await worker.waitForFrame('job');
    worker.send({
      type: 'job_error',
      job_id: jobId,
      error: 'boom',
      fence_token: frame.fence_token,
    });
    expect(await outcome).toEqual({ status: 'failed', reason: 'worker_error', error: 'boom' });
    expect((await getJson(`${queue.httpUrl}/jobs/${jobId}`)).body).toMatchObject({
      status: 'failed',
      error: 'boom',
      result: null,
    });
  });

  it('gives every dispatch of a persisted job a higher fence token', async () => {
    const queue = await harness.start();
    const worker = await harness.worker(queue, 'w1', { capacity: 3 });
    for (let i = 0; i < 3; i += 1) queue.createJob({ payload: { i } });
    await worker.waitFor(() => worker.frames('job').length === 3);
    const tokens = worker.frames('job').map((frame) => frame.fence_token);
    expect(tokens).toEqual([...tokens].sort((x, y) => x - y));
    expect(new Set(tokens).size).toBe(3);
  });

  it('sends a drained worker nothing more and sets its capacity to 0', async () => {
    const queue = await harness.start();
    const a = await harness.worker(queue, 'a', { capacity: 4 });
    const b = await harness.worker(queue, 'b', { capacity: 4 });
    await send(queue, a, 'a', 'drain');
    expect(queue.workers().find((w) => w.workerId === 'a')).toMatchObject({
      capacity: 0,
      draining: true,
    });
    for (let i = 0; i < 3; i += 1) queue.createJob({ payload: { i } });
    await b.waitFor(() => b.frames('job').length === 3);
    expect(a.frames('job')).toHaveLength(0);
  });

  it('holds jobs while paused, dispatches the backlog on resume', async () => {
    const queue = await harness.start();
    const worker = await harness.worker(queue, 'w1', { capacity: 2 });
    await send(queue, worker, 'w1', 'pause');
    expect(queue.workers()[0]?.paused).toBe(true);
    const jobs = [queue.createJob({ payload: 1 }), queue.createJob({ payload: 2 })];
    expect(jobs.map(({ jobId }) => queue.getJob(jobId)?.status)).toEqual(['pending', 'pending']);
    await send(queue, worker, 'w1', 'resume');
    await worker.waitFor(() => worker.frames('job').length === 2);
    expect(worker.frames('job').map((frame) => frame.job_id)).toEqual(jobs.map((job) => job.jobId));
  });

  it('starts a re-registered worker afresh and dispatches the backlog to it', async () => {
    const queue = await harness.start();
    const worker = await harness.worker(queue, 'w1', { capacity: 1 });
    await send(queue, worker, 'w1', 'pause');
    await send(queue, worker, 'w1', 'drain');
    const { jobId } = queue.createJob({ payload: {} });
    const registered = queue.events.waitFor(eventIs('worker_registered'), {
      after: queue.events.lastSeq,
    });
    worker.send({ type: 'register', worker_id: 'w1', config_id: 'cfg', capacity: 2 });
    await registered;
    expect(queue.workers()[0]).toMatchObject({ capacity: 2, paused: false, draining: false });
    await worker.waitForFrame('job', (frame) => frame.job_id === jobId);
  });

  it("accepts a transient result sent on the worker's next connection", async () => {
    const queue = await harness.start();
    const first = await harness.worker(queue, 'w1');
    const answer = postJson(`${queue.httpUrl}/v1/embeddings`, { model: 'm', input: 'x' });
    const job = await first.waitForFrame('job');
    await first.close();
    await queue.events.waitFor(eventIs('connection_closed'));
    expect(queue.getJob(job.job_id)?.status).toBe('running');
    const second = await harness.worker(queue, 'w1');
    second.send({
      type: 'job_result',
      job_id: job.job_id,
      result: { embeddings: [{ index: 0, embedding: [1] }] },
      fence_token: 0,
    });
    expect((await answer).status).toBe(200);
  });

  it('refuses a transient result from a worker that does not hold the job', async () => {
    const queue = await harness.start();
    const a = await harness.worker(queue, 'a');
    const b = await harness.worker(queue, 'b', { capacity: 0 });
    const { jobId } = queue.createJob({ payload: {}, mode: 'transient' });
    await a.waitForFrame('job');
    b.send({ type: 'job_result', job_id: jobId, result: 1, fence_token: 0 });
    expect((await b.waitForFrame('error')).message).toMatch(/held by another worker/);
    expect(queue.getJob(jobId)?.status).toBe('running');
  });
});
