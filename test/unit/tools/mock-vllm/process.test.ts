/**
 * The failure options of `casola-worker mock-vllm serve`, run as a real child process as
 * the worker runs it.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, it, type TestContext } from 'vitest';
import { processExists } from '../../../support/engine-harness.ts';
import { type MockVllmProcess, spawnMockVllm } from '../../../support/mock-vllm-process.ts';

const READY = /Uvicorn running on/;

/** Each test runs its own child, stopped when the test ends, so the tests run concurrently. */
async function start(args: string[], test: TestContext): Promise<MockVllmProcess> {
  const child = await spawnMockVllm(args);
  test.onTestFinished(() => child.stop());
  return child;
}

async function status(url: string): Promise<number> {
  const response = await fetch(url);
  await response.arrayBuffer();
  return response.status;
}

function postChat(url: string): Promise<Response> {
  return fetch(`${url}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ model: 'served-model', messages: [{ role: 'user', content: 'hi' }] }),
  });
}

/** Polls `read` (every 10 ms, for 5 s at most) until `done` holds for its value. */
async function until<T>(read: () => Promise<T>, done: (value: T) => boolean): Promise<T> {
  for (let attempt = 0; attempt < 500; attempt++) {
    const value = await read();
    if (done(value)) return value;
    await sleep(10);
  }
  throw new Error('the mock never got there');
}

/** The code of the socket error a GET failed with (`ECONNREFUSED`...); undefined if it was answered. */
async function refusal(url: string): Promise<unknown> {
  const failed = await fetch(url).then(
    () => undefined,
    (error: Error) => error,
  );
  return (failed?.cause as NodeJS.ErrnoException | undefined)?.code;
}

async function getJson(url: string): Promise<Record<string, unknown>> {
  return (await (await fetch(url)).json()) as Record<string, unknown>;
}

/** The value of a gauge in /metrics. */
async function gauge(url: string, name: string): Promise<string | undefined> {
  const text = await (await fetch(`${url}/metrics`)).text();
  return text.match(
    new RegExp(`^vllm:${name}\\{engine="0",model_name="served-model"\\} (\\S+)$`, 'm'),
  )?.[1];
}

describe.concurrent('mock-vllm serve as a child process', () => {
  it.for<[kind: string, line: string, code: number]>([
    ['a retryable', 'RuntimeError: CUDA out of memory. Tried to allocate 2.00 GiB', 3],
    ['a fatal', 'CUDA driver version is insufficient for CUDA runtime version', 1],
  ])('prints %s line verbatim and exits with the given code', async ([, line, code], test) => {
    const { expect } = test;
    const mock = await start(['--fail-with-line', line, '--exit-code', String(code)], test);
    const result = await mock.exited;
    expect(result.exitCode).toBe(code);
    expect(mock.lines).toContain(line);
  });

  it('fails after a delay, once it has served', async (test) => {
    const { expect } = test;
    const mock = await start(
      ['--fail-with-line', 'Segmentation fault (core dumped)', '--fail-after-ms', '200'],
      test,
    );
    await mock.waitForLine(READY);
    expect((await mock.exited).exitCode).toBe(1);
    const ready = mock.lines.findIndex((line) => READY.test(line));
    expect(mock.lines.indexOf('Segmentation fault (core dumped)')).toBeGreaterThan(ready);
  });

  it('refuses connections while loading, as vLLM whose port is bound but not listened on; the control port answers throughout', async (test) => {
    const { expect } = test;
    const mock = await start(['--startup-delay-ms', '60000'], test);
    await mock.waitForLine(/Loading safetensors checkpoint shards: {3}0% Completed/);
    const printed = `mock-vllm control routes (/mock/*) on ${mock.controlUrl}`;
    expect(mock.lines.some((line) => line.endsWith(printed))).toBe(true);
    expect(await refusal(`${mock.url}/health`)).toBe('ECONNREFUSED');
    await expect(postChat(mock.url)).rejects.toThrow('fetch failed');
    expect((await getJson(`${mock.controlUrl}/mock/state`)).phase).toBe('starting');
    const ready = await fetch(`${mock.controlUrl}/mock/ready`, { method: 'POST' });
    expect(ready.status).toBe(200);
    expect(await status(`${mock.url}/health`)).toBe(200);
    expect((await getJson(`${mock.controlUrl}/mock/state`)).phase).toBe('healthy');
  });

  it('prints loading lines during a slow start, then serves', async (test) => {
    const { expect } = test;
    const mock = await start(['--startup-delay-ms', '200'], test);
    await mock.waitForLine(READY);
    expect(await status(`${mock.url}/health`)).toBe(200);
    const loading = mock.lines.filter((line) => line.startsWith('Loading safetensors'));
    expect(loading).toEqual(
      [0, 25, 50, 75].map(
        (percent, shard) =>
          `Loading safetensors checkpoint shards: ${String(percent).padStart(3)}% Completed | ${shard}/4`,
      ),
    );
    const ready = mock.lines.findIndex((line) => READY.test(line));
    expect(mock.lines.indexOf(loading.at(-1) ?? '')).toBeLessThan(ready);
  });

  it('never becomes healthy with --never-healthy', async (test) => {
    const { expect } = test;
    const mock = await start(['--never-healthy'], test);
    await mock.waitForLine(/--never-healthy/);
    expect(await refusal(`${mock.url}/health`)).toBe('ECONNREFUSED');
    await expect(postChat(mock.url)).rejects.toThrow('fetch failed');
    expect(mock.lines.some((line) => READY.test(line))).toBe(false);
  });

  it('loses health after --unhealthy-after-ms and regains it on POST /mock/health', async (test) => {
    const { expect } = test;
    const mock = await start(['--unhealthy-after-ms', '100'], test);
    await mock.waitForLine(/health lost \(--unhealthy-after-ms\)/);
    expect(await status(`${mock.url}/health`)).toBe(503);
    const regain = await fetch(`${mock.url}/mock/health`, {
      method: 'POST',
      body: JSON.stringify({ healthy: true }),
    });
    expect(regain.status).toBe(200);
    expect(await status(`${mock.url}/health`)).toBe(200);
  });

  it('regains health by itself after --unhealthy-for-ms', async (test) => {
    const { expect } = test;
    const mock = await start(['--unhealthy-after-ms', '50', '--unhealthy-for-ms', '50'], test);
    await mock.waitForLine(/health regained \(--unhealthy-for-ms\)/);
    expect(await status(`${mock.url}/health`)).toBe(200);
  });

  it('crashes while the Nth request is in flight', async (test) => {
    const { expect } = test;
    const mock = await start(['--crash-on-request', '2', '--exit-code', '9'], test);
    await mock.waitForLine(READY);
    expect((await postChat(mock.url)).status).toBe(200);
    await expect(postChat(mock.url)).rejects.toThrow();
    expect((await mock.exited).exitCode).toBe(9);
    expect(mock.lines).toContainEqual(expect.stringMatching(/^ERROR .* died unexpectedly/));
  });

  it('holds answers for --response-delay-ms, counted as running meanwhile', async (test) => {
    const { expect } = test;
    const mock = await start(['--response-delay-ms', '60000'], test);
    await mock.waitForLine(READY);
    const answer = postChat(mock.url);
    // The child reports nothing while it holds a request: poll its gauge, boundedly.
    for (
      let attempt = 0;
      attempt < 200 && (await gauge(mock.url, 'num_requests_running')) !== '1.0';
      attempt++
    ) {
      await sleep(10);
    }
    expect(await gauge(mock.url, 'num_requests_running')).toBe('1.0');
    const release = await fetch(`${mock.url}/mock/release`, { method: 'POST' });
    expect(await release.json()).toEqual({ released: 1 });
    expect((await answer).status).toBe(200);
    expect(await gauge(mock.url, 'num_requests_running')).toBe('0.0');
  });

  it('reports --queue-depth as vllm:num_requests_waiting, changeable at runtime', async (test) => {
    const { expect } = test;
    const mock = await start(['--queue-depth', '5'], test);
    await mock.waitForLine(READY);
    expect(await gauge(mock.url, 'num_requests_waiting')).toBe('5.0');
    await fetch(`${mock.url}/mock/queue-depth`, { method: 'POST', body: '{"depth":2}' });
    expect(await gauge(mock.url, 'num_requests_waiting')).toBe('2.0');
  });

  it('keeps serving on SIGTERM with --ignore-sigterm; SIGKILL ends it', async (test) => {
    const { expect } = test;
    const mock = await start(['--ignore-sigterm'], test);
    await mock.waitForLine(READY);
    const pid = Number((await mock.waitForLine(/Started server process/)).match(/\[(\d+)\]/)?.[1]);
    process.kill(pid, 'SIGTERM');
    await mock.waitForLine(/--ignore-sigterm: SIGTERM ignored/);
    expect(await status(`${mock.url}/health`)).toBe(200);
    process.kill(pid, 'SIGKILL');
    expect((await mock.exited).signal).toBe('SIGKILL');
  });

  it('keeps its output open after SIGKILL while the engine core lingers', async (test) => {
    const { expect } = test;
    const mock = await start(['--engine-core-linger-ms', '300'], test);
    await mock.waitForLine(READY);
    const line = await mock.waitForLine(/EngineCore_0 pid \d+/);
    const corePid = Number(line.match(/pid (\d+)/)?.[1]);
    const serverPid = Number(
      (await mock.waitForLine(/Started server process/)).match(/\[(\d+)\]/)?.[1],
    );
    let settled = false;
    void mock.exited.then(() => {
      settled = true;
    });
    process.kill(serverPid, 'SIGKILL');
    // The server is gone at once; the output (and so the exit execa reports) waits for the core.
    while (processExists(serverPid)) await sleep(5);
    expect(processExists(corePid)).toBe(true);
    expect(settled).toBe(false);
    // The output ends once the core has exited (an orphan: its pid may linger as a zombie).
    expect((await mock.exited).signal).toBe('SIGKILL');
  });

  it('lists on GET /mock/aborted a request its client closed, timed by the epoch clock', async (test) => {
    const { expect } = test;
    const mock = await start(['--response-delay-ms', '600000'], test);
    await mock.waitForLine(READY);
    const abort = new AbortController();
    const response = fetch(`${mock.url}/v1/chat/completions`, {
      method: 'POST',
      body: JSON.stringify({ messages: [{ role: 'user', content: 'hi' }] }),
      signal: abort.signal,
    }).catch((error: Error) => error);
    await until(
      () => getJson(`${mock.url}/mock/state`),
      (state) => state.running === 1,
    );
    abort.abort();
    await response;
    const { aborted } = await until(
      () => getJson(`${mock.url}/mock/aborted`),
      (answer) => (answer.aborted as unknown[]).length > 0,
    );
    expect(aborted).toEqual([
      {
        id: expect.any(Number),
        method: 'POST',
        path: '/v1/chat/completions',
        closed_at_ms: expect.any(Number),
      },
    ]);
    // Epoch milliseconds, so that another process on the host can compare: within a minute of now.
    const closedAt = (aborted as Array<{ closed_at_ms: number }>)[0]!.closed_at_ms;
    expect(Math.abs(closedAt - Date.now())).toBeLessThan(60_000);
  });

  it('accepts and ignores other vllm serve arguments, and exits 0 on SIGTERM', async (test) => {
    const { expect } = test;
    const mock = await start(['--tensor-parallel-size', '2', '--enforce-eager'], test);
    await mock.waitForLine(READY);
    expect(mock.lines).toContainEqual(
      expect.stringMatching(/^WARNING .* ignores: --tensor-parallel-size 2 --enforce-eager$/),
    );
    await mock.stop();
    expect((await mock.exited).exitCode).toBe(0);
  });
});
