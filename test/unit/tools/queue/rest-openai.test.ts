import { describe, expect, it } from 'vitest';
import {
  answerNextJob,
  getJson,
  postJson,
  useQueueHarness,
} from '../../../support/queue-harness.ts';

const harness = useQueueHarness();

describe('the OpenAI JSON routes', () => {
  it('POST /v1/embeddings sends openai/embeddings and answers an OpenAI list', async () => {
    const queue = await harness.start();
    const worker = await harness.worker(queue, 'w1');
    const response = postJson(`${queue.httpUrl}/v1/embeddings`, { model: 'm', input: ['a', 'b'] });
    const payload = await answerNextJob(worker, {
      result: {
        status: 'success',
        embeddings: [
          { index: 0, embedding: [0.1, 0.2] },
          { index: 1, embedding: [0.3, 0.4] },
        ],
        prompt_tokens: 2,
        total_tokens: 2,
      },
    });
    expect(payload).toEqual({ task: 'openai/embeddings', model: 'm', input: ['a', 'b'] });
    expect(await response).toMatchObject({
      status: 200,
      body: {
        object: 'list',
        data: [
          { object: 'embedding', index: 0, embedding: [0.1, 0.2] },
          { object: 'embedding', index: 1, embedding: [0.3, 0.4] },
        ],
        model: 'm',
        usage: { prompt_tokens: 2, total_tokens: 2 },
      },
    });
  });

  it("a body field `task` does not replace the route's task", async () => {
    const queue = await harness.start();
    const worker = await harness.worker(queue, 'w1');
    const chat = postJson(`${queue.httpUrl}/v1/chat/completions`, {
      model: 'm',
      messages: [{ role: 'user', content: 'hi' }],
      task: 'fal/text-to-video',
    });
    const chatPayload = await answerNextJob(worker, { result: { completion: { choices: [] } } });
    expect(chatPayload).toMatchObject({ task: 'openai/chat-completion' });
    expect((await chat).status).toBe(200);
    const embed = postJson(`${queue.httpUrl}/v1/embeddings`, {
      model: 'm',
      input: 'a',
      task: 'fal/text-to-video',
    });
    const embedPayload = await answerNextJob(worker, { result: { embeddings: [] } });
    expect(embedPayload).toMatchObject({ task: 'openai/embeddings' });
    expect((await embed).status).toBe(200);
  });

  it('POST /v1/images/generations sends fal/text-to-image and maps images to data', async () => {
    const queue = await harness.start();
    const worker = await harness.worker(queue, 'w1');
    const response = postJson(`${queue.httpUrl}/v1/images/generations`, {
      prompt: 'a cat',
      n: 2,
      size: '512x256',
    });
    const payload = await answerNextJob(worker, {
      result: { images: [{ url: 'http://img/1' }, { url: 'http://img/2' }] },
    });
    expect(payload).toEqual({
      task: 'fal/text-to-image',
      model: 'dall-e-3',
      prompt: 'a cat',
      num_images: 2,
      image_size: { width: 512, height: 256 },
    });
    const answer = await response;
    expect(answer.status).toBe(200);
    expect(answer.body).toMatchObject({
      created: expect.any(Number),
      data: [
        { url: 'http://img/1', revised_prompt: 'a cat' },
        { url: 'http://img/2', revised_prompt: 'a cat' },
      ],
    });
  });

  it("answers 502 with the worker's error text when the worker answers job_error", async () => {
    const queue = await harness.start();
    const worker = await harness.worker(queue, 'w1');
    const response = postJson(`${queue.httpUrl}/v1/images/generations`, { prompt: 'x' });
    const error = 'vLLM answered 500: out of memory';
    await answerNextJob(worker, { error });
    expect(await response).toMatchObject({ status: 502, body: { detail: error } });
  });

  it('answers 501 naming the task when the worker has no such task, then up front', async () => {
    const queue = await harness.start();
    const worker = await harness.worker(queue, 'w1');
    const response = postJson(`${queue.httpUrl}/v1/images/generations`, { prompt: 'x' });
    const error = "Unsupported task: 'fal/text-to-image' (config_id=cfg)";
    await answerNextJob(worker, { error });
    expect(await response).toMatchObject({
      status: 501,
      body: { detail: `no connected worker serves fal/text-to-image: ${error}` },
    });
    // The worker said so once: the next request is not sent to it.
    const again = await postJson(`${queue.httpUrl}/v1/images/generations`, { prompt: 'y' });
    expect(again).toMatchObject({
      status: 501,
      body: {
        detail: 'no connected worker serves fal/text-to-image: each one said Unsupported task',
      },
    });
    expect(worker.frames('job')).toHaveLength(1);
    // Another worker connects, which may serve it: the request goes to it.
    const other = await harness.worker(queue, 'w2');
    const third = postJson(`${queue.httpUrl}/v1/images/generations`, { prompt: 'z' });
    await answerNextJob(other, { result: { images: [{ url: 'http://img/1' }] } });
    expect((await third).status).toBe(200);
  });

  it('GET /v1/models lists the connected config ids', async () => {
    const queue = await harness.start();
    await harness.worker(queue, 'a', { configId: 'llama' });
    await harness.worker(queue, 'b', { configId: 'llama' });
    await harness.worker(queue, 'c', { configId: 'qwen' });
    const { status, body } = await getJson(`${queue.httpUrl}/v1/models`);
    expect(status).toBe(200);
    expect(body).toMatchObject({
      object: 'list',
      data: [
        { id: 'llama', object: 'model' },
        { id: 'qwen', object: 'model' },
      ],
    });
  });
});
