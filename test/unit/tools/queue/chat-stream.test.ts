/**
 * Issue 18, item 2: the official `openai` client pointed at the local queue. Every chat and
 * embeddings parameter reaches the job's payload (they used to be dropped unless named), and
 * `stream: true` gets Server-Sent Events in OpenAI's chunk format (it used to get plain JSON,
 * which the client read as 0 chunks and no error).
 */
import OpenAI from 'openai';
import { describe, expect, it } from 'vitest';
import type { JsonValue } from '../../../../src/protocol/index.ts';
import { answerNextJob, useQueueHarness } from '../../../support/queue-harness.ts';

const harness = useQueueHarness();

const TOOL = {
  type: 'function' as const,
  function: { name: 'lookup', parameters: { type: 'object', properties: {} } },
};
const CALL = { id: 'call-1', type: 'function', function: { name: 'lookup', arguments: '{}' } };
const COMPLETION: { [key: string]: JsonValue } & { usage: JsonValue } = {
  id: 'chatcmpl-1',
  model: 'm',
  choices: [
    { index: 0, message: { role: 'assistant', content: 'hello there' }, finish_reason: 'stop' },
    {
      index: 1,
      message: { role: 'assistant', content: null, tool_calls: [CALL] },
      finish_reason: 'tool_calls',
    },
  ],
  usage: { prompt_tokens: 3, completion_tokens: 2, total_tokens: 5 },
};

function client(baseURL: string): OpenAI {
  return new OpenAI({ baseURL: `${baseURL}/v1`, apiKey: 'unused', maxRetries: 0 });
}

const CHAT = {
  model: 'm',
  messages: [{ role: 'user' as const, content: 'hi' }],
  n: 2,
  seed: 7,
  tools: [TOOL],
  tool_choice: 'auto' as const,
  response_format: { type: 'json_object' as const },
  logprobs: true,
  top_logprobs: 2,
  presence_penalty: 0.5,
  frequency_penalty: 0.25,
  max_completion_tokens: 9,
  user: 'u-1',
};

describe('the OpenAI client on the local queue', () => {
  it('gets a streamed chat completion as chunks, and every parameter reaches the job', async () => {
    const queue = await harness.start();
    const worker = await harness.worker(queue, 'w1');
    const stream = client(queue.httpUrl).chat.completions.create({
      ...CHAT,
      stream: true,
      stream_options: { include_usage: true },
    });
    const payload = await answerNextJob(worker, { result: { completion: COMPLETION } });
    expect(payload).toEqual({ task: 'openai/chat-completion', ...CHAT });
    const chunks = [];
    for await (const chunk of await stream) chunks.push(chunk);
    expect(chunks.map((c) => c.object)).toEqual(Array(5).fill('chat.completion.chunk'));
    expect(chunks.map((c) => c.choices)).toEqual([
      [
        {
          index: 0,
          delta: { role: 'assistant', content: 'hello there' },
          logprobs: null,
          finish_reason: null,
        },
      ],
      [{ index: 0, delta: {}, logprobs: null, finish_reason: 'stop' }],
      [
        {
          index: 1,
          delta: { role: 'assistant', content: null, tool_calls: [{ index: 0, ...CALL }] },
          logprobs: null,
          finish_reason: null,
        },
      ],
      [{ index: 1, delta: {}, logprobs: null, finish_reason: 'tool_calls' }],
      [],
    ]);
    expect(chunks.at(-1)?.usage).toEqual(COMPLETION.usage);
    expect(new Set(chunks.map((c) => c.id))).toEqual(new Set(['chatcmpl-1']));
  });

  it("builds the message with the client's stream helper", async () => {
    const queue = await harness.start();
    const worker = await harness.worker(queue, 'w1');
    const runner = client(queue.httpUrl).chat.completions.stream({
      model: 'm',
      messages: CHAT.messages,
    });
    await answerNextJob(worker, { result: { completion: COMPLETION } });
    const final = await runner.finalChatCompletion();
    expect(final.choices[0]?.message.content).toBe('hello there');
    expect(final.choices[1]?.message.tool_calls).toEqual([CALL]);
  });

  it('gets a whole chat completion without stream, with object and created', async () => {
    const queue = await harness.start();
    const worker = await harness.worker(queue, 'w1');
    const answer = client(queue.httpUrl).chat.completions.create(CHAT);
    expect(await answerNextJob(worker, { result: { completion: COMPLETION } })).toEqual({
      task: 'openai/chat-completion',
      ...CHAT,
    });
    expect(await answer).toEqual({
      object: 'chat.completion',
      created: expect.any(Number),
      ...COMPLETION,
    });
  });

  it('passes every embeddings parameter on, token ids included', async () => {
    const queue = await harness.start();
    const worker = await harness.worker(queue, 'w1');
    const request = { model: 'm', input: [[1, 2, 3]], dimensions: 2, user: 'u-1' };
    const answer = client(queue.httpUrl).embeddings.create({
      ...request,
      encoding_format: 'float',
    });
    const payload = await answerNextJob(worker, {
      result: {
        embeddings: [{ index: 0, embedding: [0.5, 0.25] }],
        prompt_tokens: 3,
        total_tokens: 3,
      },
    });
    expect(payload).toEqual({ task: 'openai/embeddings', ...request, encoding_format: 'float' });
    expect((await answer).data).toEqual([
      { object: 'embedding', index: 0, embedding: [0.5, 0.25] },
    ]);
  });

  it('a failed job is an error the client raises, streamed or not', async () => {
    const queue = await harness.start();
    const worker = await harness.worker(queue, 'w1');
    const stream = client(queue.httpUrl).chat.completions.create({ ...CHAT, stream: true });
    await answerNextJob(worker, { error: 'vLLM answered 400: bad request' });
    await expect(stream).rejects.toMatchObject({ status: 502 });
  });
});
