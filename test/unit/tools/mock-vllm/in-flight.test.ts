import { once } from 'node:events';
import { afterEach, describe, expect, it } from 'vitest';
import type { MockRequest } from '../../../../src/tools/mock-vllm/server.ts';
import {
  requestsReceived,
  startTestMockVllm,
  type TestMockVllm,
} from '../../../support/mock-vllm.ts';

let mock: TestMockVllm;
afterEach(() => mock?.close());

const chat = { messages: [{ role: 'user', content: 'hi' }] };

function postChat(signal?: AbortSignal) {
  return fetch(`${mock.url}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(chat),
    ...(signal ? { signal } : {}),
  });
}

async function gauges(): Promise<{ running: string; waiting: string; text: string }> {
  const text = await (await fetch(`${mock.url}/metrics`)).text();
  const value = (name: string) =>
    text.match(
      new RegExp(`^vllm:${name}\\{engine="0",model_name="served-model"\\} (\\S+)$`, 'm'),
    )?.[1] ?? '';
  return { running: value('num_requests_running'), waiting: value('num_requests_waiting'), text };
}

describe('/metrics', () => {
  it('prints labelled gauges with HELP and TYPE lines, as vLLM does', async () => {
    mock = await startTestMockVllm({ queueDepth: 4 });
    const { text } = await gauges();
    expect(text).toContain(
      [
        '# HELP vllm:num_requests_running Number of requests in model execution batches.',
        '# TYPE vllm:num_requests_running gauge',
        'vllm:num_requests_running{engine="0",model_name="served-model"} 0.0',
        '# HELP vllm:num_requests_waiting Number of requests waiting to be processed.',
        '# TYPE vllm:num_requests_waiting gauge',
        'vllm:num_requests_waiting{engine="0",model_name="served-model"} 4.0',
      ].join('\n'),
    );
  });

  it('counts the requests really in flight: held, aborted, answered', async () => {
    mock = await startTestMockVllm({ responseDelayMs: 60_000 });
    const aborts = [new AbortController(), new AbortController(), new AbortController()];
    const responses = aborts.map((abort) => postChat(abort.signal).catch((error: Error) => error));
    await requestsReceived(mock, 3);
    expect((await gauges()).running).toBe('3.0');

    const aborted = mock.nextAborted();
    aborts[0]?.abort();
    expect((await aborted).path).toBe('/v1/chat/completions');
    expect((await gauges()).running).toBe('2.0');

    expect(mock.release()).toBe(2);
    const answered = await Promise.all(responses.slice(1));
    expect(answered.map((response) => (response as Response).status)).toEqual([200, 200]);
    const after = await gauges();
    expect(after.running).toBe('0.0');
    expect(after.text).toContain(
      'vllm:request_success_total{engine="0",finished_reason="stop",model_name="served-model"} 2.0',
    );
  });

  it('reports the queue depth set at runtime', async () => {
    mock = await startTestMockVllm();
    const response = await fetch(`${mock.url}/mock/queue-depth`, {
      method: 'POST',
      body: JSON.stringify({ depth: 7 }),
    });
    expect(response.status).toBe(200);
    expect((await gauges()).waiting).toBe('7.0');
    mock.setQueueDepth(0);
    expect((await gauges()).waiting).toBe('0.0');
  });
});

describe('events and logs', () => {
  it('emits each request with its parsed JSON body', async () => {
    mock = await startTestMockVllm();
    const received = once(mock.events, 'request');
    await postChat();
    const [request] = (await received) as [MockRequest];
    expect(request).toMatchObject({
      id: 1,
      method: 'POST',
      path: '/v1/chat/completions',
      body: chat,
    });
  });

  it('logs vLLM-style start-up lines and one uvicorn access line per request', async () => {
    const lines: string[] = [];
    mock = await startTestMockVllm({ log: (line) => lines.push(line) });
    await (await fetch(`${mock.url}/health`)).arrayBuffer();
    await (await postChat()).arrayBuffer();
    expect(lines[0]).toMatch(
      /^INFO \d\d-\d\d \d\d:\d\d:\d\d \[api_server\.py:\d+\] vLLM API server/,
    );
    expect(lines).toContainEqual(
      expect.stringMatching(
        /^INFO: {5}Uvicorn running on http:\/\/127\.0\.0\.1:\d+ \(Press CTRL\+C/,
      ),
    );
    const access = lines.filter((line) => line.includes(' - "'));
    expect(access).toEqual([
      expect.stringMatching(/^INFO: {5}127\.0\.0\.1:\d+ - "GET \/health HTTP\/1\.1" 200 OK$/),
      expect.stringMatching(
        /^INFO: {5}127\.0\.0\.1:\d+ - "POST \/v1\/chat\/completions HTTP\/1\.1" 200 OK$/,
      ),
    ]);
  });
});

describe('in-process failures', () => {
  it('closes the connection of the Nth inference request and emits exit with the exit code', async () => {
    mock = await startTestMockVllm({ crashOnRequest: 2, exitCode: 7 });
    expect((await postChat()).status).toBe(200);
    const exit = once(mock.events, 'exit');
    await expect(postChat()).rejects.toThrow();
    expect(await exit).toEqual([7]);
  });

  it('loses and regains health through POST /mock/health', async () => {
    mock = await startTestMockVllm();
    const setHealth = (healthy: boolean) =>
      fetch(`${mock.url}/mock/health`, { method: 'POST', body: JSON.stringify({ healthy }) });
    expect((await setHealth(false)).status).toBe(200);
    expect((await fetch(`${mock.url}/health`)).status).toBe(503);
    expect((await postChat()).status).toBe(200);
    await setHealth(true);
    expect((await fetch(`${mock.url}/health`)).status).toBe(200);
  });

  it('answers at once with minimal bodies in instant mode, whatever the delay', async () => {
    mock = await startTestMockVllm({ instant: true, responseDelayMs: 60_000 });
    const body = (await (await postChat()).json()) as {
      choices: { message: { content: string } }[];
    };
    expect(body.choices[0]?.message.content).toBe('ok');
  });
});
