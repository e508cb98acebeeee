import { afterEach, describe, expect, it } from 'vitest';
import type { Json } from '../../../support/json.ts';
import { SERVED_MODEL, startTestMockVllm, type TestMockVllm } from '../../../support/mock-vllm.ts';

let mock: TestMockVllm;
afterEach(() => mock?.close());

async function post(path: string, body: unknown) {
  const response = await fetch(`${mock.url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  return { status: response.status, type: response.headers.get('content-type'), response };
}

async function postJson(path: string, body: unknown) {
  const { status, response } = await post(path, body);
  return { status, json: (await response.json()) as Json };
}

describe('health and models', () => {
  it('answers /health 200 and lists the served model name', async () => {
    mock = await startTestMockVllm();
    expect((await fetch(`${mock.url}/health`)).status).toBe(200);
    const models = (await (await fetch(`${mock.url}/v1/models`)).json()) as Json;
    expect(models.data.map((model: { id: string }) => model.id)).toEqual([SERVED_MODEL]);
  });

  it('answers FastAPI-style 404 and 405 for routes vLLM does not have', async () => {
    mock = await startTestMockVllm();
    const missing = await fetch(`${mock.url}/v2/nothing`);
    expect([missing.status, await missing.json()]).toEqual([404, { detail: 'Not Found' }]);
    const wrongMethod = await fetch(`${mock.url}/v1/chat/completions`);
    expect(wrongMethod.status).toBe(405);
  });

  it('answers a path with a broken percent-escape 404 as uvicorn does, not 400', async () => {
    mock = await startTestMockVllm();
    for (const path of ['/v1/%zz', '/v1/%ff']) {
      const response = await fetch(`${mock.url}${path}`);
      expect([response.status, await response.json()]).toEqual([404, { detail: 'Not Found' }]);
    }
  });

  it('answers JSON as vLLM types it: application/json without a charset', async () => {
    mock = await startTestMockVllm();
    const models = await fetch(`${mock.url}/v1/models`);
    expect(models.headers.get('content-type')).toBe('application/json');
    const chat = await post('/v1/chat/completions', { model: SERVED_MODEL, messages: [] });
    expect(chat.type).toBe('application/json');
  });
});

describe('POST /v1/chat/completions', () => {
  const messages = [
    { role: 'system', content: 'be brief' },
    { role: 'user', content: 'the quick brown fox' },
  ];

  it('echoes the last user message with usage counted in words', async () => {
    mock = await startTestMockVllm();
    const { status, json } = await postJson('/v1/chat/completions', {
      model: SERVED_MODEL,
      messages,
    });
    expect(status).toBe(200);
    expect(json).toMatchObject({
      object: 'chat.completion',
      model: SERVED_MODEL,
      choices: [
        {
          index: 0,
          message: { role: 'assistant', content: 'the quick brown fox' },
          finish_reason: 'stop',
        },
      ],
      usage: { prompt_tokens: 6, completion_tokens: 4, total_tokens: 10 },
    });
    const again = await postJson('/v1/chat/completions', { model: SERVED_MODEL, messages });
    expect(again.json.id).toBe(json.id);
  });

  it('cuts the echo at max_tokens and says so in finish_reason', async () => {
    mock = await startTestMockVllm();
    const { json } = await postJson('/v1/chat/completions', { messages, max_tokens: 2, n: 2 });
    expect(json.choices.map((c: Json) => [c.index, c.message.content, c.finish_reason])).toEqual([
      [0, 'the quick', 'length'],
      [1, 'the quick', 'length'],
    ]);
    expect(json.usage.completion_tokens).toBe(4);
  });

  const weather = {
    type: 'function',
    function: {
      name: 'get_weather',
      parameters: {
        type: 'object',
        properties: { city: { type: 'string' }, days: { type: 'integer' } },
        required: ['city', 'days'],
      },
    },
  };
  const other = { type: 'function', function: { name: 'other_tool' } };

  it.each([
    ['tool_choice required', { tool_choice: 'required', tools: [weather, other] }, 'get_weather'],
    [
      'a named tool_choice',
      {
        tool_choice: { type: 'function', function: { name: 'other_tool' } },
        tools: [weather, other],
      },
      'other_tool',
    ],
    [
      'a message naming the tool',
      { tools: [other, weather], messages: [{ role: 'user', content: 'use get_weather now' }] },
      'get_weather',
    ],
  ])('calls a tool when asked by %s', async (_, request, name) => {
    mock = await startTestMockVllm();
    const { json } = await postJson('/v1/chat/completions', { messages, ...request });
    const [choice] = json.choices;
    expect(choice.finish_reason).toBe('tool_calls');
    expect(choice.message.content).toBeNull();
    expect(choice.message.tool_calls).toEqual([
      {
        id: expect.stringMatching(/^chatcmpl-tool-/),
        type: 'function',
        function: { name, arguments: expect.any(String) },
      },
    ]);
  });

  it('fills required string and integer arguments from the user text', async () => {
    mock = await startTestMockVllm();
    const { json } = await postJson('/v1/chat/completions', {
      messages: [{ role: 'user', content: 'Paris please' }],
      tools: [weather],
      tool_choice: 'required',
    });
    const call = json.choices[0].message.tool_calls[0];
    expect(JSON.parse(call.function.arguments)).toEqual({ city: 'Paris please', days: 2 });
  });

  it('answers plainly when tools are there but not asked for', async () => {
    mock = await startTestMockVllm();
    const { json } = await postJson('/v1/chat/completions', {
      messages,
      tools: [weather],
      tool_choice: 'auto',
    });
    expect(json.choices[0]).toMatchObject({ finish_reason: 'stop', message: { tool_calls: [] } });
  });

  it('answers 400 in the OpenAI error shape when messages are missing', async () => {
    mock = await startTestMockVllm();
    const { status, json } = await postJson('/v1/chat/completions', { model: SERVED_MODEL });
    expect(status).toBe(400);
    expect(json).toEqual({
      error: {
        message: 'messages: Field required',
        type: 'BadRequestError',
        param: null,
        code: 400,
      },
    });
  });

  it('answers 404 for a model it does not serve', async () => {
    mock = await startTestMockVllm();
    const { status, json } = await postJson('/v1/chat/completions', { model: 'other', messages });
    expect(status).toBe(404);
    expect(json).toEqual({
      error: {
        message: 'The model `other` does not exist.',
        type: 'NotFoundError',
        param: 'model',
        code: 404,
      },
    });
  });
});

describe('POST /v1/embeddings', () => {
  it('derives one unit vector per input from its text, of the requested dimensions', async () => {
    mock = await startTestMockVllm();
    const { json } = await postJson('/v1/embeddings', {
      input: ['a b', 'c', 'a b'],
      dimensions: 5,
    });
    const vectors = json.data.map((item: { embedding: number[] }) => item.embedding);
    expect(json.data.map((item: { index: number }) => item.index)).toEqual([0, 1, 2]);
    expect(vectors.map((v: number[]) => v.length)).toEqual([5, 5, 5]);
    expect(Math.hypot(...vectors[0])).toBeCloseTo(1, 5);
    expect(vectors[2]).toEqual(vectors[0]);
    expect(vectors[1]).not.toEqual(vectors[0]);
    expect(json.usage).toMatchObject({ prompt_tokens: 5, total_tokens: 5 });
  });

  it('uses its default length for a single string and packs base64 as float32', async () => {
    mock = await startTestMockVllm({ embeddingDimensions: 8 });
    const float = await postJson('/v1/embeddings', { input: 'hello' });
    const packed = await postJson('/v1/embeddings', { input: 'hello', encoding_format: 'base64' });
    const bytes = Buffer.from(packed.json.data[0].embedding, 'base64');
    const decoded = Array.from(new Float32Array(bytes.buffer, bytes.byteOffset, 8));
    expect(decoded).toEqual(float.json.data[0].embedding);
  });

  it('answers 400 without input', async () => {
    mock = await startTestMockVllm();
    expect((await postJson('/v1/embeddings', {})).status).toBe(400);
  });
});
