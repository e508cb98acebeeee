import { once } from 'node:events';
import { execa } from 'execa';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { createLogger } from '../../../src/observability/logger.ts';
import { createShippingLogger } from '../../../src/observability/shipping-logger.ts';
import { STDOUT_LIMIT_BYTES, stdoutStream } from '../../../src/observability/stdout.ts';
import { until } from '../../support/sdk-worker.ts';

const FLOOD = new URL('../../fixtures/stdout/log-flood.ts', import.meta.url).pathname;
const LINES = 2_000;
/** 64 KiB: a fifth of what the fixture logs, four batches of 50 lines. */
const LIMIT_BYTES = 64 * 1024;

type Line = { msg: string; level: number; dropped_lines?: number; dropped_bytes?: number };

/** The flood fixture, its stdout read only from `read()` on (paused until then). */
function flood(limitBytes = LIMIT_BYTES) {
  const child = execa(process.execPath, [FLOOD, String(limitBytes), String(LINES)], {
    stdin: 'pipe',
    buffer: false,
  });
  child.stdout.pause();
  let text = '';
  let stderr = '';
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (chunk: string) => {
    stderr += chunk;
  });
  return {
    child,
    text: () => text,
    logged: () => until(() => stderr.includes('logged'), 20_000, 'the flood to be logged'),
    read() {
      child.stdout.setEncoding('utf8');
      child.stdout.on('data', (chunk: string) => {
        text += chunk;
      });
      child.stdout.resume();
    },
    async exit(): Promise<Line[]> {
      child.stdin.end();
      const ended = once(child.stdout, 'end');
      expect((await child).exitCode).toBe(0);
      await ended;
      return text
        .trim()
        .split('\n')
        .map((line) => JSON.parse(line) as Line);
    },
  };
}

/** Every line logged is either written or counted in the one warning. */
function expectAccounted(entries: Line[]) {
  const written = entries.filter((entry) => entry.msg === 'line');
  const warnings = entries.filter((entry) => entry.msg.includes('log lines were dropped'));
  expect(warnings).toEqual([
    expect.objectContaining({
      level: 40,
      dropped_lines: LINES - written.length,
      dropped_bytes: expect.any(Number),
    }),
  ]);
  // What got through is what the limit, the pipe and the reader held.
  expect(written.length).toBeGreaterThan(0);
  expect(written.length).toBeLessThan(LINES / 2);
}

describe('stdout', () => {
  it('holds at most its limit while nobody reads it, and says what it dropped once read', async () => {
    const run = flood();
    // All lines logged although nothing reads stdout: logging never blocks the process.
    await run.logged();
    run.read();
    await until(() => run.text().includes('log lines were dropped'), 10_000, 'the drop warning');
    // Said while the process still runs: once stdout drained, not only at exit.
    expect(run.text()).toContain('log lines were dropped');
    expectAccounted(await run.exit());
  });

  it('says what it dropped when the process exits before stdout was read', async () => {
    const run = flood();
    await run.logged();
    const exited = run.exit();
    run.read();
    expectAccounted(await exited);
  });

  it('exits although nothing ever reads stdout (a stalled log driver), with the exit code it chose', async () => {
    const run = flood();
    await run.logged();
    run.child.stdin.end();
    // Before: the synchronous flush at exit retried for ever, and the process never ended.
    expect((await run.child).exitCode).toBe(0);
  });

  it('drops nothing while what waits stays under the limit (the default 16 MiB)', async () => {
    const run = flood(STDOUT_LIMIT_BYTES);
    run.read();
    await run.logged();
    const entries = await run.exit();
    expect(entries.filter((entry) => entry.msg === 'line')).toHaveLength(LINES);
    expect(entries.filter((entry) => entry.level !== 30)).toEqual([]);
  });

  it('is one stream that every logger in the process writes through', () => {
    const shipper = { enabled: false, push: () => {} };
    const streamOf = (logger: object) =>
      (logger as Record<symbol, unknown>)[pino.symbols.streamSym];
    expect(streamOf(createLogger())).toBe(stdoutStream());
    expect(streamOf(createShippingLogger({ shipper }))).toBe(stdoutStream());
    expect(streamOf(createShippingLogger({ shipper, source: 'vllm' }))).toBe(stdoutStream());
  });
});
