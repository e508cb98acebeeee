import { existsSync } from 'node:fs';
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';

describe('casola-worker demo', () => {
  it.each(['abc', '70000', '-1'])(
    'exits 2 on --status-port %s, saying what it takes',
    async (port) => {
      const result = await execa('node', ['src/cli.ts', 'demo', '--status-port', port], {
        reject: false,
      });
      expect(result.exitCode).toBe(2);
      expect(result.stderr.trim()).toBe(
        `--status-port must be an integer from 0 to 65535, got '${port}'`,
      );
    },
  );
});

describe('casola-worker demo --keep', () => {
  it('keeps the status page up after the requests until Ctrl-C, then removes its temporary logs', async () => {
    const demo = execa('node', ['src/cli.ts', 'demo', '--keep'], { reject: false });
    let output = '';
    const kept = new Promise<void>((resolve) => {
      demo.stdout.on('data', (chunk: Buffer) => {
        output += chunk.toString();
        if (output.includes('press Ctrl-C to stop')) resolve();
      });
    });
    await Promise.race([kept, demo]);
    const status = /status page: (\S+)\/debug/.exec(output)?.[1];
    const logFile = /worker logs in (\S+)/.exec(output)?.[1];
    expect(status).toBeDefined();
    const ready = await fetch(`${status}/readyz`);
    expect(ready.status).toBe(200);
    expect(existsSync(logFile!)).toBe(true);
    demo.kill('SIGINT');
    const result = await demo;
    expect(result.exitCode).toBe(0);
    expect(result.stdout).toContain('8/8 requests succeeded; the worker exited with code 0.');
    // A video result says what it has: no 'nullxnull, null frames at null fps' for what the
    // speech-to-video job neither asked for nor got back.
    expect(result.stdout).not.toMatch(/\bnull\b/);
    expect(result.stdout).toContain('The worker logs were removed.');
    expect(existsSync(logFile!)).toBe(false);
  });
});
