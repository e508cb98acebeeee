/**
 * The log-line corpus (test/fixtures/vllm/log-lines): lines quoted from vLLM, vLLM-Omni and
 * PyTorch, each classified as the corpus says, request-level errors never stopping the engine.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { classifyLine } from '../../../src/engine/classify.ts';

const CORPUS = new URL('../../fixtures/vllm/log-lines', import.meta.url);

const entries = readFileSync(CORPUS, 'utf8')
  .split('\n')
  .filter((line) => line !== '' && !line.startsWith('#'))
  .map((line) => {
    const [kind = '', ...rest] = line.split('\t');
    return [kind, rest.join('\t')] as const;
  });

describe('the vLLM log-line corpus', () => {
  it('has entries of every classification', () => {
    expect(new Set(entries.map(([kind]) => kind))).toEqual(new Set(['fatal', 'retryable', 'none']));
  });

  it.each(entries)('%s: %s', (kind, line) => {
    expect(classifyLine(line)?.kind ?? 'none').toBe(kind);
  });
});
