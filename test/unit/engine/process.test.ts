/**
 * vLLM as a real child process of the engine: its lines logged (source vllm, level by the
 * rule), a crash after ready, a stop that leaves no process behind (also when vLLM ignores
 * SIGTERM), and a VLLM_SERVE_COMMAND that cannot start anything.
 */

import { PassThrough } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { describe, expect, it, type TestContext } from 'vitest';
import { readLines } from '../../../src/engine/process.ts';
import {
  type EngineHarness,
  type EngineHarnessOptions,
  processExists,
  startEngine,
} from '../../support/engine-harness.ts';

const PRINT_LINES = fileURLToPath(new URL('../../support/print-lines.ts', import.meta.url));

async function start(test: TestContext, options: EngineHarnessOptions = {}) {
  const engine = await startEngine(options);
  test.onTestFinished(() => engine.close());
  return engine;
}

/** worker.md: ERROR or Error → error (50), WARNING or Warning → warning (pino's warn, 40), else info (30). */
function expectedLevel(line: string): number {
  if (/ERROR|Error/.test(line)) return 50;
  if (/WARNING|Warning/.test(line)) return 40;
  return 30;
}

const vllmEntries = (engine: EngineHarness) =>
  engine.logs.entries().filter((entry) => entry.source === 'vllm');

async function chat(engine: EngineHarness): Promise<void> {
  await fetch(`${engine.url}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ model: 'served-model', messages: [{ role: 'user', content: 'hi' }] }),
  }).catch(() => undefined);
}

describe.concurrent('vLLM output', () => {
  it('logs every line, stdout and stderr, with source vllm and the level rule', async (test) => {
    const { expect } = test;
    const lines = [
      'INFO 11-28 18:00:00 [api_server.py:1090] vLLM API server version 0.11.0',
      'WARNING 11-28 18:00:01 [config.py:1] Casting torch.bfloat16 to torch.float16.',
      '/usr/lib/python3/site-packages/torch/cuda/__init__.py:61: UserWarning: deprecated',
      'stderr:ERROR 11-28 18:00:02 [engine.py:1] something broke',
      'ValueError: max_model_len is larger than the model allows',
      'an error and a warning, in lower case',
      'Loading shards:  50% Completed\rLoading shards: 100% Completed',
    ];
    const engine = await start(test, {
      serveCommand: `'${process.execPath}' '${PRINT_LINES}'`,
      extraArgs: lines,
    });
    await engine.next('ENGINE_FAILED');
    const printed = lines.flatMap((line) => line.replace(/^stderr:/, '').split('\r'));
    const logged = vllmEntries(engine);
    expect(logged.map((entry) => entry.msg).sort()).toEqual([...printed].sort());
    for (const entry of logged) expect(entry.level).toBe(expectedLevel(String(entry.msg)));
    expect(logged.map((entry) => entry.level).sort()).toEqual([30, 30, 30, 30, 40, 40, 50, 50]);
    const workerLines = engine.logs.entries().filter((entry) => entry.source !== 'vllm');
    for (const line of printed) expect(workerLines.map((e) => e.msg)).not.toContain(line);
  });

  it("logs the mock vLLM's own lines by the same rule, through a crash", async (test) => {
    const { expect } = test;
    const engine = await start(test, { extraArgs: ['--enforce-eager', '--crash-on-request', '1'] });
    await engine.next('ENGINE_READY');
    await chat(engine);
    await engine.next('ENGINE_FAILED');
    const logged = vllmEntries(engine);
    for (const entry of logged) expect(entry.level).toBe(expectedLevel(String(entry.msg)));
    const levels = new Set(logged.map((entry) => entry.level));
    expect([...levels].sort()).toEqual([30, 40, 50]);
    expect(logged).toContainEqual(
      expect.objectContaining({ level: 50, msg: expect.stringMatching(/died unexpectedly/) }),
    );
  });
});

describe.concurrent('vLLM exits on its own after ready', () => {
  // No health watching here: the exit, not a failed probe before it, is what is reported.
  const quiet = { health: { pollIntervalMs: 20, watchIntervalMs: 60_000 } };

  it('crashes mid-request: running.crashed with the exit code', async (test) => {
    const { expect } = test;
    const engine = await start(test, {
      ...quiet,
      extraArgs: ['--crash-on-request', '1', '--exit-code', '9'],
    });
    await engine.next('ENGINE_READY');
    await chat(engine);
    const { failure } = await engine.next('ENGINE_FAILED');
    expect(failure).toEqual({
      kind: 'crashed',
      message: 'vLLM exited on its own (exit code 9, signal none)',
    });
    expect(engine.state()).toEqual({ running: 'crashed' });
    await engine.stop();
    expect(engine.notices().map((n) => n.type)).toEqual([
      'ENGINE_READY',
      'ENGINE_FAILED',
      'ENGINE_STOPPED',
    ]);
  });

  it('is killed by a signal: running.crashed naming the signal', async (test) => {
    const { expect } = test;
    const engine = await start(test, quiet);
    await engine.next('ENGINE_READY');
    process.kill(engine.context().pid as number, 'SIGKILL');
    const { failure } = await engine.next('ENGINE_FAILED');
    expect(failure).toEqual({
      kind: 'crashed',
      message: 'vLLM exited on its own (exit code none, signal SIGKILL)',
    });
    expect(engine.state()).toEqual({ running: 'crashed' });
    await engine.stop();
    expect(engine.state()).toBe('stopped');
  });
});

describe.concurrent('stopping vLLM', () => {
  it('stops a ready vLLM with SIGTERM: ENGINE_STOPPED, and the process is gone', async (test) => {
    const { expect } = test;
    const engine = await start(test);
    await engine.next('ENGINE_READY');
    const pid = engine.context().pid as number;
    await engine.stop();
    expect(processExists(pid)).toBe(false);
    expect(engine.state()).toBe('stopped');
    expect(engine.logs.entries()).toContainEqual(
      expect.objectContaining({ msg: 'vLLM exited', exit_code: 0, signal: null }),
    );
    expect(engine.notices().map((n) => n.type)).toEqual(['ENGINE_READY', 'ENGINE_STOPPED']);
  });

  it('kills a vLLM that ignores SIGTERM after the kill grace', async (test) => {
    const { expect } = test;
    const engine = await start(test, { extraArgs: ['--ignore-sigterm'], killGraceMs: 200 });
    await engine.next('ENGINE_READY');
    const pid = engine.context().pid as number;
    await engine.stop();
    expect(processExists(pid)).toBe(false);
    expect(vllmEntries(engine)).toContainEqual(
      expect.objectContaining({ msg: expect.stringMatching(/SIGTERM ignored/) }),
    );
    expect(engine.logs.entries()).toContainEqual(
      expect.objectContaining({ msg: 'vLLM exited', exit_code: null, signal: 'SIGKILL' }),
    );
  });

  it('stops a vLLM still loading its model', async (test) => {
    const { expect } = test;
    const engine = await start(test, { extraArgs: ['--startup-delay-ms', '60000'] });
    await engine.reaches({ running: { starting: 'waitingForHealth' } });
    const pid = engine.context().pid as number;
    await engine.stop();
    expect(processExists(pid)).toBe(false);
    expect(engine.notices().map((n) => n.type)).toEqual(['ENGINE_STOPPED']);
  });
});

describe.concurrent('a VLLM_SERVE_COMMAND that starts nothing', () => {
  it.for<[what: string, command: string, message: string | RegExp]>([
    [
      'a missing executable',
      'does-not-exist',
      "vLLM could not start: 'does-not-exist' was not found; set VLLM_SERVE_COMMAND to the vLLM executable",
    ],
    [
      'a file that is not executable',
      `'${fileURLToPath(new URL('../../../package.json', import.meta.url))}'`,
      /^vLLM could not start: '.*package\.json' could not run \(.*EACCES\); check VLLM_SERVE_COMMAND$/,
    ],
    [
      'an unclosed quote',
      "'vllm",
      "vLLM could not start: VLLM_SERVE_COMMAND has an unclosed ' quote: set it to the vLLM executable, e.g. vllm",
    ],
    [
      'an empty command',
      ' ',
      'vLLM could not start: VLLM_SERVE_COMMAND names no executable: set it to the vLLM executable, e.g. vllm',
    ],
  ])(
    'fails as crashed, naming VLLM_SERVE_COMMAND (%s)',
    async ([, serveCommand, message], test) => {
      const { expect } = test;
      const engine = await start(test, { serveCommand });
      const { failure } = await engine.next('ENGINE_FAILED');
      expect(failure.kind).toBe('crashed');
      expect(failure.message).toMatch(message);
      expect(engine.state()).toEqual({ running: 'crashed' });
      await engine.stop();
      expect(engine.notices().map((n) => n.type)).toEqual(['ENGINE_FAILED', 'ENGINE_STOPPED']);
    },
  );
});

describe('readLines', () => {
  it('marks the pieces after the first of a line cut at 64 KiB as continued', async () => {
    const stream = new PassThrough({ encoding: 'utf8' });
    const seen: Array<[number, boolean]> = [];
    readLines(stream, (line, continued) => seen.push([line.length, continued]));
    // A request-log line with a prompt past 64 KiB: its middle must not be read on its own.
    stream.write(`Received request chatcmpl-1: prompt: '${'a'.repeat(70_000)}`);
    stream.write(" CUDA out of memory'\nnext line\n");
    stream.end('last');
    await new Promise((resolve) => stream.on('end', resolve));
    expect(seen.map(([, continued]) => continued)).toEqual([false, true, false, false]);
    expect(seen[0]![0]).toBe(64 * 1024);
  });
});
