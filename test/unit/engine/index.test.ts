/**
 * The engine actor (createEngineLogic) with the mock vLLM as a real child process: start-up to
 * ready, each start-up failure in its own state with its cause, and the GPU check in front.
 */
import { readFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, it, type TestContext } from 'vitest';
import type { NvidiaSmiRunner } from '../../../src/observability/nvidia-smi.ts';
import { createNvidiaSmiRunner } from '../../../src/observability/nvidia-smi.ts';
import {
  type EngineHarness,
  type EngineHarnessOptions,
  processExists,
  startEngine,
} from '../../support/engine-harness.ts';

const H200_ROW = await readFile(
  new URL('../../fixtures/nvidia-smi/h200-health.csv', import.meta.url),
  'utf8',
);

/** A runner that prints the recorded H200 row, counting its calls. */
function recordedH200(): NvidiaSmiRunner & { calls: string[][] } {
  const calls: string[][] = [];
  const runner = async (args: string[]) => {
    calls.push(args);
    return { exitCode: 0, stdout: H200_ROW, stderr: '' };
  };
  return Object.assign(runner, { calls });
}

async function start(test: TestContext, options: EngineHarnessOptions = {}) {
  const engine = await startEngine(options);
  test.onTestFinished(() => engine.close());
  return engine;
}

/** Whether this host can listen on the IPv6 loopback. */
const IPV6_LOOPBACK = await new Promise<boolean>((resolve) => {
  const server = createServer();
  server.once('error', () => resolve(false));
  server.listen(0, '::1', () => server.close(() => resolve(true)));
});

const messages = (engine: EngineHarness) => engine.logs.entries().map((entry) => entry.msg);

/** Stops a failed engine and checks that its process is gone. */
async function stopAndCheckGone(engine: EngineHarness, test: TestContext) {
  const pid = engine.context().pid as number;
  await engine.stop();
  test.expect(processExists(pid)).toBe(false);
}

describe.concurrent('engine start-up', () => {
  it('becomes ready: ENGINE_READY with the start-up time, every phase timed and logged', async (test) => {
    const { expect } = test;
    const engine = await start(test);
    const ready = await engine.next('ENGINE_READY');
    expect(engine.state()).toEqual({ running: 'ready' });
    const { phases, startupMs, pid } = engine.context();
    expect(Object.keys(phases)).toEqual(['gpu_check', 'spawn', 'health', 'models']);
    for (const ms of Object.values(phases)) expect(ms).toBeGreaterThanOrEqual(0);
    expect(ready.startupMs).toBe(startupMs);
    expect(startupMs).toBe(Object.values(phases as Record<string, number>).reduce((a, b) => a + b));
    expect(processExists(pid)).toBe(true);
    const entries = engine.logs.entries();
    for (const phase of ['gpu_check', 'spawn', 'health', 'models']) {
      expect(entries).toContainEqual(
        expect.objectContaining({
          msg: `vLLM start-up phase finished: ${phase}`,
          phase,
          ms: phases[phase],
        }),
      );
    }
    expect(entries).toContainEqual(
      expect.objectContaining({ msg: 'vLLM is ready', startup_ms: startupMs, phases_ms: phases }),
    );
    expect(entries).toContainEqual(
      expect.objectContaining({
        msg: 'starting vLLM',
        command: expect.arrayContaining(['serve', 'test/model', '--port', String(engine.port)]),
      }),
    );
    expect(engine.notices().map((n) => n.type)).toEqual(['ENGINE_READY']);
  });

  it.for<[kind: 'fatal' | 'retryable', label: string, line: string, pattern: string]>([
    [
      'fatal',
      'FATAL',
      'RuntimeError: CUDA driver version is insufficient for CUDA runtime version',
      'CUDA driver version is insufficient',
    ],
    [
      'retryable',
      'RETRYABLE',
      'torch.OutOfMemoryError: CUDA out of memory. Tried to allocate 2.00 GiB',
      'CUDA out of memory',
    ],
  ])(
    'fails on a %s line: in its state, with pattern, line and message',
    async ([kind, label, line, pattern], test) => {
      const { expect } = test;
      const engine = await start(test, { extraArgs: ['--fail-with-line', line] });
      const { failure } = await engine.next('ENGINE_FAILED');
      expect(failure).toEqual({
        kind,
        pattern,
        line,
        message: `${label} vLLM error detected (pattern: ${pattern}): ${line}`,
      });
      expect(engine.state()).toEqual({ running: kind });
      expect(engine.context().failure).toEqual(failure);
      await stopAndCheckGone(engine, test);
      expect(engine.notices().map((n) => n.type)).toEqual(['ENGINE_FAILED', 'ENGINE_STOPPED']);
    },
  );

  it.for([
    ['never healthy', ['--never-healthy']],
    ['loading for longer than the timeout', ['--startup-delay-ms', '60000']],
  ])('times out when /health never answers 200 in time (%s)', async ([, extraArgs], test) => {
    const { expect } = test;
    const engine = await start(test, { extraArgs: extraArgs as string[], startupTimeoutMs: 300 });
    const { failure } = await engine.next('ENGINE_FAILED');
    expect(failure).toEqual({
      kind: 'startup_timeout',
      message: `vLLM did not become healthy within 0.3 s (VLLM_STARTUP_TIMEOUT): raise VLLM_STARTUP_TIMEOUT if the model needs longer to download and load, or read vLLM's last lines for why it stalled`,
    });
    expect(engine.state()).toEqual({ running: 'startupTimeout' });
    const pid = engine.context().pid as number;
    expect(processExists(pid)).toBe(true);
    await stopAndCheckGone(engine, test);
  });

  it('names the cause when vLLM exits during start-up: a taken port (issue 18)', async (test) => {
    const { expect } = test;
    const taken = createServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
    try {
      const { port } = taken.address() as AddressInfo;
      const engine = await start(test, { port });
      const { failure } = await engine.next('ENGINE_FAILED');
      // The mock says it as vLLM does (uvicorn's "error while attempting to bind on address").
      expect(failure).toEqual({
        kind: 'crashed',
        message: expect.stringMatching(
          new RegExp(
            `^vLLM exited on its own \\(exit code 1, signal none\\): ERROR .*error while attempting to bind on 127\\.0\\.0\\.1:${port}: .*EADDRINUSE`,
          ),
        ),
      });
      await engine.stop();
    } finally {
      taken.close();
    }
  });

  // VLLM_HOST=::1 once left every probe on `http://::1:PORT`, an invalid URL, until the
  // start-up timeout. It needs an IPv6 loopback to run.
  it.runIf(IPV6_LOOPBACK)('becomes ready with vLLM on an IPv6 address (::1)', async (test) => {
    const engine = await start(test, { host: '::1' });
    await engine.next('ENGINE_READY');
    test.expect(engine.state()).toEqual({ running: 'ready' });
  });

  it('fails the models check when /v1/models does not answer 200', async (test) => {
    const { expect } = test;
    // A tiny vLLM stand-in: healthy, but its model list fails. The process only sleeps.
    const server = createServer((req, res) => {
      res.writeHead(req.url === '/health' ? 200 : 500).end();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    test.onTestFinished(() => new Promise<void>((resolve) => server.close(() => resolve())));
    const engine = await start(test, {
      serveCommand: `'${process.execPath}' -e 'setInterval(() => {}, 60000)'`,
      port: (server.address() as AddressInfo).port,
    });
    const { failure } = await engine.next('ENGINE_FAILED');
    expect(failure.kind).toBe('models_check');
    expect(failure.message).toMatch(/^vLLM \/v1\/models check failed: .*HTTP 500/);
    expect(engine.state()).toEqual({ running: 'modelsCheck' });
    await stopAndCheckGone(engine, test);
  });
});

describe.concurrent('engine GPU check', () => {
  it('fails in gpuFailed on the wrong GPU and never starts vLLM', async (test) => {
    const { expect } = test;
    const runner = recordedH200();
    const engine = await start(test, { gpu: { runner, expectedGpuName: 'H100' } });
    const { failure } = await engine.next('ENGINE_FAILED');
    expect(failure).toEqual({
      kind: 'gpu',
      message: "gpu_health_check failed: GPU 0 (NVIDIA H200): name does not contain 'H100'",
    });
    expect(engine.state()).toBe('gpuFailed');
    expect(runner.calls).toHaveLength(1);
    expect(messages(engine)).not.toContain('starting vLLM');
    expect(engine.context().pid).toBeUndefined();
    await engine.stop();
    expect(engine.state()).toBe('stopped');
  });

  it('passes the recorded H200 when it is what is expected, then starts vLLM', async (test) => {
    const { expect } = test;
    const runner = recordedH200();
    const engine = await start(test, {
      gpu: { runner, expectedGpuName: 'h200', expectedVramGb: 141 },
    });
    await engine.next('ENGINE_READY');
    expect(runner.calls[0]?.[0]).toMatch(/^--query-gpu=gpu_name,memory.total,/);
    expect(messages(engine)).toContain('GPU health check passed');
  });

  it('skips the check with a warning when nvidia-smi is not installed, and proceeds', async (test) => {
    const { expect } = test;
    const runner = createNvidiaSmiRunner('/nonexistent/bin/nvidia-smi');
    const engine = await start(test, { gpu: { runner, expectedGpuName: 'H100' } });
    await engine.next('ENGINE_READY');
    expect(engine.logs.entries()).toContainEqual(
      expect.objectContaining({
        level: 40,
        msg: 'nvidia-smi is not installed: GPU health check skipped',
      }),
    );
  });

  it('stops during the GPU check without starting vLLM', async (test) => {
    const { expect } = test;
    let answer: (result: { absent: true }) => void = () => undefined;
    const slow: NvidiaSmiRunner = () => new Promise((resolve) => (answer = resolve));
    const engine = await start(test, { gpu: { runner: slow } });
    await engine.stop();
    expect(engine.state()).toBe('stopped');
    answer({ absent: true });
    await new Promise((resolve) => setImmediate(resolve));
    expect(engine.state()).toBe('stopped');
    expect(messages(engine)).not.toContain('starting vLLM');
  });
});
