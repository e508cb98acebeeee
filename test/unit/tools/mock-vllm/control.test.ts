/**
 * The mock's runtime controls that tests drive a vLLM with: finish loading now, print a line
 * (a CUDA error on demand), exit with a code, a model list that fails, and the list of
 * requests their clients closed before the answer. They answer on the control port (which
 * listens while the API port refuses connections during loading) and, once loaded, on the API
 * port too.
 */
import { once } from 'node:events';
import { createServer } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { freePort } from '../../../support/free-port.ts';
import { startTestMockVllm, type TestMockVllm } from '../../../support/mock-vllm.ts';

let mock: TestMockVllm;
afterEach(() => mock?.close());

function post(path: string, body?: unknown): Promise<Response> {
  return fetch(`${mock.controlUrl}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
}

const status = async (path: string, base = mock.url) => (await fetch(`${base}${path}`)).status;

/** The code of the socket error a fetch failed with (`ECONNREFUSED`...). */
async function refusal(path: string): Promise<unknown> {
  const failed = await fetch(`${mock.url}${path}`).then(
    () => undefined,
    (error: Error) => error,
  );
  return (failed?.cause as NodeJS.ErrnoException | undefined)?.code;
}

describe('the control port', () => {
  it('answers /mock while the API port refuses connections, as vLLM loading refuses them', async () => {
    mock = await startTestMockVllm({ startupDelayMs: 600_000 });
    expect(await refusal('/health')).toBe('ECONNREFUSED');
    expect(await status('/mock/state', mock.controlUrl)).toBe(200);
    expect((await post('/mock/ready')).status).toBe(200);
    expect(await status('/health')).toBe(200);
  });

  it('serves only /mock; the API port serves /mock too once loaded', async () => {
    mock = await startTestMockVllm();
    expect(await status('/health', mock.controlUrl)).toBe(404);
    expect(await status('/v1/models', mock.controlUrl)).toBe(404);
    expect(await status('/mock/state')).toBe(200);
  });

  it('listens on the port asked for', async () => {
    const controlPort = await freePort();
    mock = await startTestMockVllm({ controlPort });
    expect(mock.controlUrl).toBe(`http://127.0.0.1:${controlPort}`);
    expect(await status('/mock/state', mock.controlUrl)).toBe(200);
  });
});

describe('the API port', () => {
  it('binds every interface for an empty host, as vLLM binds ("", port)', async () => {
    mock = await startTestMockVllm({ host: '' });
    expect(await status('/health', `http://127.0.0.1:${mock.port}`)).toBe(200);
  });

  it('ends the mock when a server took it meanwhile, as uvicorn failing to listen ends vLLM', async () => {
    const lines: string[] = [];
    mock = await startTestMockVllm({
      startupDelayMs: 600_000,
      exitCode: 4,
      log: (line) => lines.push(line),
    });
    // Bound, not listened on, with SO_REUSEADDR as vLLM binds it: another listener may take it.
    const squatter = createServer();
    await new Promise<void>((resolve) => squatter.listen(mock.port, '127.0.0.1', resolve));
    const exited = once(mock.events, 'exit');
    await post('/mock/ready').catch(() => undefined);
    expect(await exited).toEqual([4]);
    squatter.close();
    expect(lines).toContainEqual(expect.stringMatching(/listen: .*EADDRINUSE/));
  });
});

describe('POST /mock/ready', () => {
  it('ends a long start-up now: /health answers 200 and the server says it runs', async () => {
    const lines: string[] = [];
    mock = await startTestMockVllm({ startupDelayMs: 600_000, log: (line) => lines.push(line) });
    expect(await refusal('/health')).toBe('ECONNREFUSED');
    const ready = await post('/mock/ready');
    expect(ready.status).toBe(200);
    expect(await ready.json()).toMatchObject({ phase: 'healthy' });
    expect(await status('/health')).toBe(200);
    expect(lines).toContainEqual(expect.stringMatching(/Loading weights took \d+\.\d\d seconds/));
    expect(lines).toContainEqual(expect.stringMatching(/Uvicorn running on/));
  });

  it('answers 400 once loaded, and under --never-healthy', async () => {
    mock = await startTestMockVllm();
    expect((await post('/mock/ready')).status).toBe(400);
    await mock.close();
    mock = await startTestMockVllm({ neverHealthy: true });
    expect((await post('/mock/ready')).status).toBe(400);
    expect(await refusal('/health')).toBe('ECONNREFUSED');
  });
});

describe('POST /mock/print', () => {
  it('prints the line verbatim, while loading too', async () => {
    const lines: string[] = [];
    mock = await startTestMockVllm({ startupDelayMs: 600_000, log: (line) => lines.push(line) });
    const line = 'RuntimeError: CUDA driver version is insufficient for CUDA runtime version';
    const printed = await post('/mock/print', { line });
    expect([printed.status, await printed.json()]).toEqual([200, { printed: line }]);
    expect(lines).toContain(line);
  });

  it('answers 400 without a line', async () => {
    mock = await startTestMockVllm();
    expect((await post('/mock/print', { text: 'x' })).status).toBe(400);
  });
});

describe('POST /mock/exit', () => {
  it('answers, then exits with the code asked for', async () => {
    mock = await startTestMockVllm();
    const exited = once(mock.events, 'exit');
    const answer = await post('/mock/exit', { code: 7 });
    expect([answer.status, await answer.json()]).toEqual([200, { exiting: 7 }]);
    expect(await exited).toEqual([7]);
  });

  it('exits with --exit-code when no code is given', async () => {
    mock = await startTestMockVllm({ exitCode: 3 });
    const exited = once(mock.events, 'exit');
    expect((await post('/mock/exit')).status).toBe(200);
    expect(await exited).toEqual([3]);
  });
});

describe('--models-fail', () => {
  it('answers /v1/models with 500 while /health is fine', async () => {
    mock = await startTestMockVllm({ modelsFail: true });
    expect(await status('/health')).toBe(200);
    expect(await status('/v1/models')).toBe(500);
  });
});

describe('GET /mock/aborted', () => {
  const chat = JSON.stringify({ messages: [{ role: 'user', content: 'hi' }] });
  const postChat = (signal?: AbortSignal) =>
    fetch(`${mock.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: chat,
      ...(signal ? { signal } : {}),
    });
  const listed = async () => {
    const answer = await fetch(`${mock.url}/mock/aborted`);
    return (await answer.json()) as {
      aborted: Array<{ id: number; method: string; path: string; closed_at_ms: number }>;
    };
  };

  it('lists a request closed before its answer, with when the close was seen (epoch ms)', async () => {
    mock = await startTestMockVllm({ responseDelayMs: 600_000 });
    const abort = new AbortController();
    const response = postChat(abort.signal).catch((error: Error) => error);
    const received = await once(mock.events, 'request');
    const aborted = mock.nextAborted();
    const before = performance.timeOrigin + performance.now();
    abort.abort();
    await aborted;
    const after = performance.timeOrigin + performance.now();
    await response;
    const { aborted: list } = await listed();
    expect(list).toEqual([
      {
        id: (received[0] as { id: number }).id,
        method: 'POST',
        path: '/v1/chat/completions',
        closed_at_ms: expect.any(Number),
      },
    ]);
    expect(list[0]!.closed_at_ms).toBeGreaterThanOrEqual(before);
    expect(list[0]!.closed_at_ms).toBeLessThanOrEqual(after);
  });

  it('leaves out requests that were answered', async () => {
    mock = await startTestMockVllm();
    expect((await postChat()).status).toBe(200);
    expect(await listed()).toEqual({ aborted: [] });
  });
});
