import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { readScript } from '../../../src/status/scripts.ts';

const dir = mkdtempSync(join(tmpdir(), 'page-script-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('readScript', () => {
  it('reads a page script again after a failed read, instead of failing every later request', async () => {
    const file = join(dir, 'late.js');
    const script = { path: '/late.js', file: pathToFileURL(file) };
    await expect(readScript(script)).rejects.toThrow(/ENOENT/);
    writeFileSync(file, 'console.log(1);\n');
    await expect(readScript(script)).resolves.toBe('console.log(1);\n');
  });
});
