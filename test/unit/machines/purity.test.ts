import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const machinesDir = join(import.meta.dirname, '../../../machines');
/** Every import or re-export statement, with whether it is type-only and what it names. */
const importPattern =
  /(?:^|\n)\s*(?:import|export)\s+(type\s+)?(?:[^'";]*?\s+from\s+)?['"]([^'"]+)['"]/g;
/** A dynamic `import(…)` or `require(…)`: always a run-time import. */
const dynamicPattern = /\b(?:import|require)\s*\(\s*['"]([^'"]+)['"]/g;

/**
 * machines/ is pure: at run time a machine file may use xstate and other machine files only.
 * Type-only imports are erased at compile time, so they may name anything.
 */
function impureImports(source: string): string[] {
  const dynamic = [...source.matchAll(dynamicPattern)].map((match) => match[1]!);
  return [...source.matchAll(importPattern)]
    .filter((match) => match[1] === undefined)
    .map((match) => match[2]!)
    .concat(dynamic)
    .filter((specifier) => specifier !== 'xstate' && !/^\.\/[\w.-]+\.ts$/.test(specifier));
}

describe('machines/', () => {
  const files = readdirSync(machinesDir).filter((name) => name.endsWith('.ts'));

  it('has machine files to check', () => {
    expect(files.length).toBeGreaterThan(0);
  });

  it.each(files)('%s imports nothing but xstate and machines/ at run time', (name) => {
    expect(impureImports(readFileSync(join(machinesDir, name), 'utf8'))).toEqual([]);
  });

  it('the check itself catches value imports and allows type imports', () => {
    expect(impureImports("import { readFileSync } from 'node:fs';")).toEqual(['node:fs']);
    expect(impureImports("import '../src/side-effect.ts';")).toEqual(['../src/side-effect.ts']);
    expect(impureImports("export { x } from '../src/x.ts';")).toEqual(['../src/x.ts']);
    expect(impureImports("const w = await import('../src/jobs/work.ts');")).toEqual([
      '../src/jobs/work.ts',
    ]);
    expect(impureImports("const fs = require('node:fs');")).toEqual(['node:fs']);
    expect(impureImports("import type { JobFrame } from '../src/protocol/frames.ts';")).toEqual([]);
    expect(
      impureImports("import { setup } from 'xstate';\nimport type { T } from './types.ts';"),
    ).toEqual([]);
  });
});
