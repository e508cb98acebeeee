import { getEventListeners } from 'node:events';
import { createServer, type Socket } from 'node:net';
import { setImmediate } from 'node:timers/promises';
import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  callEngine,
  ENGINE_KEEP_ALIVE_MS,
  engineAgent,
  postJson,
} from '../../../src/http/engine-agent.ts';
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
        // Long enough for the mock to have read the request on a loaded machine: one closed
        // before its body was read is not reported as aborted.
        timeoutMs: 2_000,
        signal: never,
      },
    );
    await expect(call).rejects.toMatchObject({
      reason: 'timeout',
      message: 'vLLM did not answer POST /v1/embeddings within 2 s',
    });
    expect((await aborted).path).toBe('/v1/embeddings');
  });

  it('leaves no timer and no listener on the job signal behind, whether the call succeeds or fails', async () => {
    mock = await startTestMockVllm();
    const job = new AbortController();
    // The call's own timers (those of its timeout), not every timer in the process: a pooled
    // socket's or the mock's timer that ends meanwhile must not count.
    const armed = new Set<unknown>();
    let created = 0;
    const realSet = globalThis.setTimeout;
    const realClear = globalThis.clearTimeout;
    const setSpy = vi.spyOn(globalThis, 'setTimeout').mockImplementation(((
      callback: () => void,
      ms?: number,
    ) => {
      const handle = realSet(callback, ms);
      if (ms === 60_000) {
        created += 1;
        armed.add(handle);
      }
      return handle;
    }) as typeof setTimeout);
    const clearSpy = vi.spyOn(globalThis, 'clearTimeout').mockImplementation(((handle) => {
      armed.delete(handle);
      realClear(handle);
    }) as typeof clearTimeout);
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
    setSpy.mockRestore();
    clearSpy.mockRestore();
    expect(getEventListeners(job.signal, 'abort')).toEqual([]);
    expect(created).toBeGreaterThan(0);
    expect(armed.size).toBe(0);
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

  it("sends vLLM's key as a bearer token; without it vLLM answers 401", async () => {
    mock = await startTestMockVllm({ apiKey: 'k-123' });
    const call = (apiKey?: string) =>
      postJson(
        { baseUrl: mock.url, apiKey },
        { path: '/v1/embeddings', json: { input: 'x' }, timeoutMs: 5_000, signal: never },
      );
    await expect(call('k-123')).resolves.toMatchObject({ object: 'list' });
    await expect(call()).rejects.toMatchObject({
      status: 401,
      message: 'vLLM returned 401 for POST /v1/embeddings: Unauthorized',
    });
  });
});

describe('engine keep-alive', () => {
  it("retires idle sockets before uvicorn's 5 s keep-alive closes them", () => {
    expect(ENGINE_KEEP_ALIVE_MS).toBeLessThan(5_000);
  });

  /**
   * An HTTP/1.1 server that answers the first `answered` requests on a connection and then
   * closes it when the next request has arrived whole, without a byte: with 1, what a uvicorn
   * closing an idle socket looks like to a request that raced the close; with 0, a server that
   * read the request and went away.
   */
  async function closingServer(answered: number) {
    const connections: Socket[] = [];
    let requests = 0;
    const server = createServer((socket) => {
      connections.push(socket);
      let count = 0;
      let received = '';
      socket.on('data', (chunk) => {
        received += chunk.toString('latin1');
        if (!received.endsWith('\r\n\r\n{}')) return;
        received = '';
        requests += 1;
        count += 1;
        if (count > answered) return void socket.destroy();
        socket.write(
          'HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 2\r\n\r\n{}',
        );
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as { port: number };
    const engine = { baseUrl: `http://127.0.0.1:${port}` };
    return {
      engine,
      connections,
      requests: () => requests,
      call: (sendOnce?: boolean) =>
        callEngine(engine, {
          method: 'POST',
          path: '/v1/x',
          json: {},
          timeoutMs: 5_000,
          signal: never,
          sendOnce,
        }).then((reply) => JSON.parse(reply.body.toString()) as unknown),
      /** Resolves once the pool holds an idle socket to the server, as between two jobs. */
      pooled: async () => {
        const idle = () =>
          (engineAgent.stats[engine.baseUrl] as { free?: number } | undefined)?.free ?? 0;
        while (idle() < 1) await setImmediate();
      },
      close: async () => {
        for (const socket of connections) socket.destroy();
        await new Promise<void>((resolve) => server.close(() => resolve()));
      },
    };
  }

  it('sends a request again, once, when the pooled socket it went out on closes unanswered', async () => {
    const server = await closingServer(1);
    try {
      await expect(server.call()).resolves.toEqual({});
      await server.pooled();
      await expect(server.call()).resolves.toEqual({});
      expect(server.connections).toHaveLength(2);
      expect(server.requests()).toBe(3);
    } finally {
      await server.close();
    }
  });

  it('does not send again a request whose fresh socket closed after the server read it', async () => {
    const server = await closingServer(0);
    try {
      await expect(server.call()).rejects.toMatchObject({ reason: 'engine_unreachable' });
      expect(server.requests()).toBe(1);
    } finally {
      await server.close();
    }
  });

  it('never sends a sendOnce call twice, even when its pooled socket closes unanswered', async () => {
    const server = await closingServer(1);
    try {
      await expect(server.call()).resolves.toEqual({});
      await server.pooled();
      await expect(server.call(true)).rejects.toMatchObject({ reason: 'engine_unreachable' });
      expect(server.requests()).toBe(2);
    } finally {
      await server.close();
    }
  });
});
