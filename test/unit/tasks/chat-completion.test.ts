import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { silentLogger } from '../../../src/observability/logger.ts';
import { runTask } from '../../../src/tasks/index.ts';
import { SERVED_MODEL, startTestMockVllm, type TestMockVllm } from '../../support/mock-vllm.ts';

let mock: TestMockVllm;
afterEach(() => mock?.close());

const ISO_TIME = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;
const messages = [{ role: 'user', content: 'hello brave world' }];

describe('openai/chat-completion', () => {
  it.each([
    ['a missing task', {}],
    ['an empty task', { task: '' }],
    ['the task name', { task: 'openai/chat-completion' }],
  ])('sends the defaults for %s and returns the completion', async (_, task) => {
    mock = await startTestMockVllm();
    const result = await runTask({ ...task, messages }, mock.context());
    expect(mock.received.map((request) => [request.method, request.path, request.body])).toEqual([
      [
        'POST',
        '/v1/chat/completions',
        { model: SERVED_MODEL, messages, temperature: 0.7, top_p: 1, stream: false },
      ],
    ]);
    expect(result).toEqual({
      status: 'success',
      config_id: 'cfg-test',
      task: 'openai/chat-completion',
      processed_at: expect.stringMatching(ISO_TIME),
      completion: {
        id: expect.stringMatching(/^chatcmpl-/),
        model: SERVED_MODEL,
        choices: [
          {
            index: 0,
            message: { role: 'assistant', content: 'hello brave world' },
            finish_reason: 'stop',
          },
        ],
        usage: { prompt_tokens: 3, completion_tokens: 3, total_tokens: 6 },
      },
    });
  });

  it('forwards the OpenAI parameters the payload carries, and only those, never streaming', async () => {
    mock = await startTestMockVllm();
    const tools = [{ type: 'function', function: { name: 'lookup' } }];
    const parameters = {
      temperature: 0,
      top_p: 0.5,
      max_tokens: 1,
      frequency_penalty: 0.1,
      presence_penalty: 0.2,
      stop: ['END'],
      seed: 3,
      n: 1,
      tools,
      tool_choice: 'auto',
      response_format: { type: 'text' },
      top_k: 5,
    };
    const payload = {
      task: 'openai/chat-completion',
      messages,
      stream: true,
      priority: 9,
      ...parameters,
    };
    const result = await runTask(payload, mock.context());
    expect(mock.received[0]?.body).toEqual({
      model: SERVED_MODEL,
      messages,
      ...parameters,
      stream: false,
    });
    expect(result.completion).toMatchObject({
      choices: [{ message: { role: 'assistant', content: 'hello' }, finish_reason: 'length' }],
    });
  });

  it('reads null options as missing ones: the defaults, and nothing forwarded', async () => {
    mock = await startTestMockVllm();
    const nulls = { temperature: null, top_p: null, max_tokens: null, stop: null, tools: null };
    await runTask({ messages, ...nulls }, mock.context());
    expect(mock.received.map((request) => request.body)).toEqual([
      { model: SERVED_MODEL, messages, temperature: 0.7, top_p: 1, stream: false },
    ]);
  });

  it('keeps the tool calls vLLM returns in the message', async () => {
    mock = await startTestMockVllm();
    const tools = [{ type: 'function', function: { name: 'lookup' } }];
    const result = await runTask({ messages, tools, tool_choice: 'required' }, mock.context());
    expect(result.completion).toMatchObject({
      choices: [
        {
          message: {
            role: 'assistant',
            content: null,
            tool_calls: [{ type: 'function', function: { name: 'lookup', arguments: '{}' } }],
          },
          finish_reason: 'tool_calls',
        },
      ],
    });
  });

  it.each([
    [{}, 'invalid payload for openai/chat-completion: messages: required'],
    [{ messages: [] }, 'invalid payload for openai/chat-completion: messages: must not be empty'],
    [
      { messages: [{ content: 'x' }] },
      'invalid payload for openai/chat-completion: messages.0.role: required',
    ],
    [
      { messages, temperature: 'hot' },
      /^invalid payload for openai\/chat-completion: temperature: /,
    ],
  ])('rejects a bad payload %j without calling vLLM', async (payload, message) => {
    mock = await startTestMockVllm();
    await expect(runTask(payload, mock.context())).rejects.toThrow(message);
    expect(mock.received).toEqual([]);
  });
});

describe('openai/chat-completion, byte for byte', () => {
  /** A vLLM that answers every POST with `answer` and keeps each request body as sent. */
  async function cannedVllm(answer: string) {
    const bodies: string[] = [];
    const server = createServer((request, response) => {
      let body = '';
      request.on('data', (chunk: Buffer) => {
        body += chunk.toString('utf8');
      });
      request.on('end', () => {
        bodies.push(body);
        response.writeHead(200, { 'content-type': 'application/json' }).end(answer);
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    return {
      bodies,
      engine: { baseUrl: `http://127.0.0.1:${port}`, model: 'm', mode: 'vllm' as const },
      close: () => new Promise<void>((resolve) => server.close(() => resolve())),
    };
  }

  it('sends the forwarded parameters in a fixed order and writes the completion in one', async () => {
    const answer = JSON.stringify({
      usage: {
        total_tokens: 3,
        prompt_tokens: 1,
        completion_tokens: 2,
        prompt_tokens_details: null,
      },
      choices: [
        {
          stop_reason: null,
          logprobs: null,
          finish_reason: 'stop',
          message: {
            tool_calls: [],
            content: 'hi',
            reasoning_content: null,
            role: 'assistant',
            refusal: 'no',
          },
          index: 0,
        },
      ],
      model: 'm',
      object: 'chat.completion',
      id: 'chatcmpl-1',
    });
    const vllm = await cannedVllm(answer);
    try {
      const payload = { seed: 7, messages, stop: null, max_tokens: 5, top_k: 2, user: 'u', n: 1 };
      const result = await runTask(payload, {
        engine: vllm.engine,
        configId: 'c',
        signal: new AbortController().signal,
        logger: silentLogger(),
      });
      expect(vllm.bodies).toEqual([
        '{"model":"m","messages":[{"role":"user","content":"hello brave world"}],"temperature":0.7,"top_p":1,"max_tokens":5,"seed":7,"n":1,"user":"u","top_k":2,"stream":false}',
      ]);
      expect(JSON.stringify(result.completion)).toBe(
        '{"id":"chatcmpl-1","model":"m","choices":[{"index":0,"message":{"role":"assistant","content":"hi","refusal":"no"},"finish_reason":"stop"}],"usage":{"prompt_tokens":1,"completion_tokens":2,"total_tokens":3}}',
      );
    } finally {
      await vllm.close();
    }
  });
});
