import { describe, expect, it } from 'vitest';
import { postJson, useQueueHarness } from '../../../support/queue-harness.ts';

const harness = useQueueHarness();

describe('transient status codes and bad input', () => {
  it('answers 503 when no worker can take a transient job', async () => {
    const queue = await harness.start();
    const response = await postJson(`${queue.httpUrl}/v1/chat/completions`, {
      model: 'm',
      messages: [{ role: 'user', content: 'hi' }],
    });
    expect(response.status).toBe(503);
    expect(response.body).toEqual({ detail: expect.stringMatching(/no worker/) });
  });

  it('answers 503 when the only worker is draining', async () => {
    const queue = await harness.start();
    const worker = await harness.worker(queue, 'w1');
    worker.send({ type: 'drain' });
    await queue.events.waitFor(
      (event) => event.kind === 'frame_in' && event.frame.type === 'drain',
    );
    const response = await postJson(`${queue.httpUrl}/v1/embeddings`, { model: 'm', input: 'x' });
    expect(response.status).toBe(503);
  });

  it('answers 504 when the worker does not answer within transientTimeoutMs', async () => {
    const queue = await harness.start({ transientTimeoutMs: 100 });
    const worker = await harness.worker(queue, 'w1');
    const response = await postJson(`${queue.httpUrl}/v1/embeddings`, { model: 'm', input: 'x' });
    expect(response.status).toBe(504);
    const job = worker.frames('job')[0]!;
    expect(queue.getJob(job.job_id)).toMatchObject({ status: 'failed' });
    expect(queue.workers()[0]?.runningJobIds).toEqual([]);
    worker.send({ type: 'job_result', job_id: job.job_id, result: {}, fence_token: 0 });
    const late = await worker.waitForFrame('error');
    expect(late.message).toMatch(
      new RegExp(`job ${job.job_id} rejected: the job is already failed`),
    );
  });

  it.each([
    ['/v1/chat/completions', '{not json', /not JSON/],
    ['/v1/chat/completions', { model: 'm', messages: [] }, /messages/],
    ['/v1/chat/completions', { messages: [{ role: 'user' }] }, /model/],
    ['/v1/embeddings', { model: 'm' }, /input/],
    ['/v1/audio/speech', { model: 'm', input: 5 }, /input/],
    ['/v1/images/generations', { prompt: 'x', size: 'big' }, /size/],
    ['/v1/images/generations', { prompt: 'x', n: 0 }, /n/],
    ['/jobs', { config_id: 'c' }, /payload/],
    ['/jobs', [1, 2], /payload|object/],
    ['/v1/audio/transcriptions', { model: 'm' }, /multipart/],
  ])('answers 400 with a message to bad input on %s (%j)', async (path, body, message) => {
    const queue = await harness.start();
    await harness.worker(queue, 'w1');
    const response = await postJson(`${queue.httpUrl}${path}`, body);
    expect(response.status).toBe(400);
    expect((response.body as { detail: string }).detail).toMatch(message);
  });
});
