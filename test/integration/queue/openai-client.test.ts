/**
 * Issue 18, item 2, end to end: the official `openai` client → the local queue's
 * /v1/chat/completions → `casola-worker run` → the mock vLLM. With `stream: true` the client
 * gets the engine's answer as chunks; `n` and `tools` reach the engine (it answers two choices,
 * each calling the tool).
 */
import OpenAI from 'openai';
import { describe, expect, it } from 'vitest';
import { API_TOKEN, SERVED_MODEL, useWorkerHarness } from '../../support/worker-harness.ts';

const harness = useWorkerHarness();

describe('the openai client through the local queue and the worker', () => {
  it('streams the chunks of an answer with n choices that call the tool', async () => {
    const { queue } = await harness.start();
    const openai = new OpenAI({ baseURL: `${queue.httpUrl}/v1`, apiKey: API_TOKEN, maxRetries: 0 });
    const lookup = {
      type: 'function' as const,
      function: {
        name: 'lookup',
        parameters: { type: 'object', properties: { q: { type: 'string' } }, required: ['q'] },
      },
    };
    const stream = await openai.chat.completions.create({
      model: SERVED_MODEL,
      messages: [{ role: 'user', content: 'find cats' }],
      n: 2,
      seed: 11,
      tools: [lookup],
      tool_choice: 'required',
      stream: true,
    });
    const chunks = [];
    for await (const chunk of stream) chunks.push(chunk);
    const choices = chunks.flatMap((chunk) => chunk.choices);
    expect(choices.filter((c) => c.finish_reason === 'tool_calls').map((c) => c.index)).toEqual([
      0, 1,
    ]);
    const calls = choices.flatMap((c) => c.delta.tool_calls ?? []);
    expect(calls).toHaveLength(2);
    for (const call of calls) {
      expect(call.function).toEqual({ name: 'lookup', arguments: '{"q":"find cats"}' });
    }
  });
});
