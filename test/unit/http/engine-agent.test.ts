import { getEventListeners } from 'node:events';
import { afterEach, describe, expect, it } from 'vitest';
import { callEngine, postJson } from '../../../src/http/engine-agent.ts';
import { startTestMockVllm, type TestMockVllm } from '../../support/mock-vllm.ts';

let mock: TestMockVllm;
afterEach(() => mock?.close());

const never = new AbortController().signal;

describe('callEngine', () => {
  it('gives up after the timeout and names the call and the limit', async () => {
    mock = await startTestMockVllm({ responseDelayMs: 60_000 });
    const aborted = mock.nextAborted();
    const call = postJson(
      { baseUrl: mock.url },
      {
        path: '/v1/embeddings',
        json: { input: 'x' },
        timeoutMs: 50,
        signal: never,
      },
    );
    await expect(call).rejects.toMatchObject({
      reason: 'timeout',
      message: 'vLLM did not answer POST /v1/embeddings within 0.05 s',
    });
    expect((await aborted).path).toBe('/v1/embeddings');
  });

  it('leaves no timer and no listener on the job signal behind, whether the call succeeds or fails', async () => {
    mock = await startTestMockVllm();
    const job = new AbortController();
    const timers = () => process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;
    const before = timers();
    const ok = await postJson(
      { baseUrl: mock.url },
      {
        path: '/v1/embeddings',
        json: { input: 'x' },
        timeoutMs: 60_000,
        signal: job.signal,
      },
    );
    expect(ok).toMatchObject({ object: 'list' });
    const unsendable = postJson(
      { baseUrl: mock.url },
      {
        path: '/v1/embeddings',
        json: { input: 1n },
        timeoutMs: 60_000,
        signal: job.signal,
      },
    );
    await expect(unsendable).rejects.toThrow(/BigInt/);
    expect(getEventListeners(job.signal, 'abort')).toEqual([]);
    expect(timers()).toBe(before);
  });

  it("quotes a non-OpenAI error body's detail", async () => {
    mock = await startTestMockVllm();
    const call = callEngine(
      { baseUrl: mock.url },
      {
        method: 'GET',
        path: '/v1/nothing',
        timeoutMs: 1000,
        signal: never,
      },
    );
    await expect(call).rejects.toMatchObject({
      status: 404,
      message: 'vLLM returned 404 for GET /v1/nothing: Not Found',
    });
  });

  it('returns the bytes and content type of a 2xx answer', async () => {
    mock = await startTestMockVllm();
    const reply = await callEngine(
      { baseUrl: mock.url },
      {
        method: 'GET',
        path: '/v1/models',
        timeoutMs: 1000,
        signal: never,
      },
    );
    expect(reply.status).toBe(200);
    expect(reply.contentType).toBe('application/json');
    expect(JSON.parse(reply.body.toString()).data[0].id).toBe('served-model');
  });
});
