import { afterEach, describe, expect, it } from 'vitest';
import { runTask } from '../../../src/tasks/index.ts';
import { embeddingOf } from '../../../src/tools/mock-vllm/synth.ts';
import { SERVED_MODEL, startTestMockVllm, type TestMockVllm } from '../../support/mock-vllm.ts';

let mock: TestMockVllm;
afterEach(() => mock?.close());

describe('openai/embeddings', () => {
  it('sends a single string as a list and returns the embeddings with token counts', async () => {
    mock = await startTestMockVllm({ embeddingDimensions: 4 });
    const result = await runTask(
      { task: 'openai/embeddings', input: 'hello world' },
      mock.context(),
    );
    expect(mock.received.map((request) => [request.path, request.body])).toEqual([
      ['/v1/embeddings', { model: SERVED_MODEL, input: ['hello world'] }],
    ]);
    expect(result).toEqual({
      status: 'success',
      config_id: 'cfg-test',
      task: 'openai/embeddings',
      processed_at: expect.any(String),
      embeddings: [{ index: 0, embedding: embeddingOf('hello world', 4) }],
      prompt_tokens: 2,
      total_tokens: 2,
    });
  });

  it('sends a list with encoding_format and dimensions as given', async () => {
    mock = await startTestMockVllm();
    const payload = {
      task: 'openai/embeddings',
      input: ['a', 'b c'],
      encoding_format: 'float',
      dimensions: 3,
    };
    const result = await runTask(payload, mock.context());
    expect(mock.received[0]?.body).toEqual({
      model: SERVED_MODEL,
      input: ['a', 'b c'],
      encoding_format: 'float',
      dimensions: 3,
    });
    expect(result.embeddings).toEqual([
      { index: 0, embedding: embeddingOf('a', 3) },
      { index: 1, embedding: embeddingOf('b c', 3) },
    ]);
  });

  it.each([
    [{}, 'invalid payload for openai/embeddings: input: required'],
    [{ input: '' }, /^invalid payload for openai\/embeddings: input: /],
    [{ input: 'x', dimensions: 0 }, /^invalid payload for openai\/embeddings: dimensions: /],
    [
      { input: 'x', encoding_format: 'hex' },
      /^invalid payload for openai\/embeddings: encoding_format: /,
    ],
  ])('rejects the bad payload %j', async (payload, message) => {
    mock = await startTestMockVllm();
    await expect(
      runTask({ task: 'openai/embeddings', ...payload }, mock.context()),
    ).rejects.toThrow(message);
    expect(mock.received).toEqual([]);
  });
});
