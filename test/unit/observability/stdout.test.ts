import { once } from 'node:events';
import { execa } from 'execa';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { createLogger } from '../../../src/observability/logger.ts';
import { createShippingLogger } from '../../../src/observability/shipping-logger.ts';
import { stdoutStream } from '../../../src/observability/stdout.ts';

const FLOOD = new URL('../../fixtures/stdout/log-flood.ts', import.meta.url).pathname;

/** Resolves once `done()` holds or `ms` have passed, whichever is first. */
async function until(done: () => boolean, ms: number): Promise<void> {
  const deadline = Date.now() + ms;
  while (!done() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
}

type Line = { msg: string; level: number; dropped_lines?: number; dropped_bytes?: number };

describe('stdout', () => {
  it('holds at most its limit while nobody reads it, drops the rest, and says how many once read', async () => {
    const lines = 2_000;
    const limitBytes = 64 * 1024;
    const child = execa(process.execPath, [FLOOD, String(limitBytes), String(lines)], {
      stdin: 'pipe',
      buffer: false,
    });
    child.stdout.pause();
    // The loop ends although nothing reads stdout: logging never blocks the process.
    let stderr = '';
    child.stderr.setEncoding('utf8');
    while (!stderr.includes('logged')) {
      const [chunk] = (await once(child.stderr, 'data')) as [string];
      stderr += chunk;
    }

    let text = '';
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (chunk: string) => {
      text += chunk;
    });
    child.stdout.resume();
    await until(() => text.includes('log lines were dropped'), 10_000);
    child.stdin.end();
    const { exitCode } = await child;
    expect(exitCode).toBe(0);

    const entries = text
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as Line);
    const written = entries.filter((entry) => entry.msg === 'line');
    const warnings = entries.filter((entry) => entry.msg.includes('log lines were dropped'));
    expect(warnings).toEqual([
      expect.objectContaining({
        level: 40,
        dropped_lines: lines - written.length,
        dropped_bytes: expect.any(Number),
      }),
    ]);
    // What got through is what fits in the limit plus what the pipe and the reader held.
    expect(written.length).toBeGreaterThan(0);
    expect(written.length).toBeLessThan(lines / 2);
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
