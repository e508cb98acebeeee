import { describe, expect, it } from 'vitest';
import { httpBase } from '../../../src/net/http-base.ts';

describe('httpBase', () => {
  it.each([
    ['127.0.0.1', 'http://127.0.0.1:8000'],
    ['vllm.internal', 'http://vllm.internal:8000'],
    ['::1', 'http://[::1]:8000'],
    ['::', 'http://[::1]:8000'],
    ['0.0.0.0', 'http://127.0.0.1:8000'],
    ['fe80::1', 'http://[fe80::1]:8000'],
    ['[::1]', 'http://[::1]:8000'],
  ])('%s → %s, a URL that parses', (host, url) => {
    expect(httpBase(host, 8000)).toBe(url);
    expect(new URL(httpBase(host, 8000)).port).toBe('8000');
  });
});
