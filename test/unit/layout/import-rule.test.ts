/**
 * The layout's one-way rule (biome.json, `noRestrictedImports`): the worker never imports a
 * development tool, and a tool imports only the protocol and small shared helpers. Each case
 * plants one import in a scratch tree that carries this repository's Biome configuration and
 * asks Biome which files break the rule, so that the rule is shown failing, not only passing.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const root = join(import.meta.dirname, '../../..');
const biome = join(root, 'node_modules/.bin/biome');
const scratch = mkdtempSync(join(tmpdir(), 'import-rule-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

const {
  vcs: _vcs,
  $schema: _schema,
  ...config
} = JSON.parse(readFileSync(join(root, 'biome.json'), 'utf8'));
writeFileSync(join(scratch, 'biome.json'), JSON.stringify(config));

/** Plants `import … from specifier` at `file` in the scratch tree; true when Biome reports the rule broken. */
function brokenBy(file: string, specifier: string): boolean {
  const path = join(scratch, file);
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, `import { x } from '${specifier}';\n\nexport const y = x;\n`);
  try {
    execFileSync(biome, ['lint', '--only=style/noRestrictedImports', file], {
      cwd: scratch,
      stdio: 'pipe',
    });
    return false;
  } catch (error) {
    const { stdout, stderr } = error as { stdout?: Buffer; stderr?: Buffer };
    const output = `${stdout ?? ''}${stderr ?? ''}`;
    if (!output.includes('lint/style/noRestrictedImports')) throw error;
    return true;
  } finally {
    rmSync(path);
  }
}

describe('the import rule between the worker and the tools', () => {
  it.each([
    ['src/worker/planted.ts', '../tools/queue/local-queue.ts'],
    ['src/engine/planted.ts', '../tools/mock-vllm/server.ts'],
    ['src/planted.ts', './tools/demo/index.ts'],
    ['machines/planted.ts', '../src/tools/queue/server.ts'],
    ['src/cli/run.ts', '../tools/queue/local-queue.ts'],
    ['src/cli/program.ts', '../tools/mock-vllm/server.ts'],
  ])('%s importing %s fails the lint', (file, specifier) => {
    expect(brokenBy(file, specifier)).toBe(true);
  });

  it.each([
    ['src/tools/queue/planted.ts', '../../worker/vllm-worker.ts'],
    ['src/tools/queue/planted.ts', '../../observability/log-shipper.ts'],
    ['src/tools/mock-vllm/endpoints/planted.ts', '../../../engine/index.ts'],
    ['src/tools/visualize/planted.ts', '../../sdk.ts'],
    ['src/tools/queue/planted.ts', '../../index.ts'],
    ['src/tools/queue/planted.ts', '../../cli.ts'],
    ['src/tools/queue/planted.ts', '../../config.ts'],
    ['src/tools/mock-vllm/planted.ts', '../../../machines/job.machine.ts'],
    ['src/tools/mock-vllm/endpoints/planted.ts', '../../../index.ts'],
  ])('tool file %s importing %s fails the lint', (file, specifier) => {
    expect(brokenBy(file, specifier)).toBe(true);
  });

  it.each([
    ['src/tools/queue/planted.ts', '../../protocol/index.ts'],
    ['src/tools/queue/planted.ts', '../../observability/logger.ts'],
    ['src/tools/mock-vllm/endpoints/planted.ts', '../../../net/free-port.ts'],
    ['src/tools/visualize/planted.ts', '../../../machines/job.machine.ts'],
    ['src/tools/mock-vllm/endpoints/planted.ts', '../../../protocol/frames.ts'],
    ['src/cli/queue.ts', '../tools/queue/local-queue.ts'],
    ['src/cli/demo.ts', '../tools/demo/index.ts'],
    ['src/tools/demo/planted.ts', '../../worker/vllm-worker.ts'],
  ])('%s may import %s', (file, specifier) => {
    expect(brokenBy(file, specifier)).toBe(false);
  });
});
