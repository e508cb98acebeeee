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
