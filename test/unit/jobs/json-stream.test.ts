import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { jsonByteLength, jsonChunks } from '../../../src/jobs/json-stream.ts';

const text = (value: unknown, chunkChars?: number) => [...jsonChunks(value, chunkChars)].join('');

describe('jsonChunks', () => {
  it('writes what JSON.stringify writes, for any JSON value (property)', () => {
    fc.assert(
      fc.property(fc.jsonValue(), fc.integer({ min: 1, max: 64 }), (value, chunkChars) => {
        expect(text(value, chunkChars)).toBe(JSON.stringify(value));
      }),
      { seed: 7, numRuns: 300 },
    );
  });

  it("follows JSON.stringify's rules for what is not plain JSON", () => {
    const date = new Date(Date.UTC(2026, 10, 28));
    const value = {
      date,
      skipped: undefined,
      fn: () => 1,
      list: [undefined, () => 1, Symbol('s'), Number.NaN, Number.POSITIVE_INFINITY, -0],
      boxed: [new Number(3), new String('s'), new Boolean(false)],
      custom: { toJSON: (key: string) => `key was ${key}` },
      nested: { '2': 'b', '1': 'a', z: null },
    };
    expect(text(value)).toBe(JSON.stringify(value));
  });

  it('splits a long string without breaking a surrogate pair or an escape', () => {
    const long = `${'a'.repeat(65_535)}😀${'"\\\n'.repeat(40_000)}é😀`;
    const chunks = [...jsonChunks({ long })];
    expect(chunks.length).toBeGreaterThan(2);
    expect(chunks.join('')).toBe(JSON.stringify({ long }));
    expect(JSON.parse(chunks.join(''))).toEqual({ long });
  });

  it('escapes a long string chunk by chunk exactly as JSON.stringify does', () => {
    // Plain stretches go out as they are; a stretch with a control character, a quote, a
    // backslash or a lone surrogate is escaped.
    const long = `${'p'.repeat(70_000)}\u0001${'q'.repeat(70_000)}\ud800${'r'.repeat(70_000)}"\\`;
    expect([...jsonChunks([long])].join('')).toBe(JSON.stringify([long]));
  });

  it('never holds the whole text of a large result in one chunk', () => {
    const chunks = [...jsonChunks({ data: 'x'.repeat(8 * 1024 * 1024) })];
    expect(Math.max(...chunks.map((c) => c.length))).toBeLessThan(200 * 1024);
  });

  it('refuses what JSON.stringify refuses', () => {
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    expect(() => text(cyclic)).toThrow(TypeError);
    expect(() => text({ n: 1n })).toThrow(TypeError);
  });
});

describe('jsonByteLength', () => {
  it('counts UTF-8 bytes, not characters', () => {
    const value = { euro: '€'.repeat(1_000) };
    expect(jsonByteLength(value)).toBe(Buffer.byteLength(JSON.stringify(value)));
  });

  it('stops counting past the limit', () => {
    const value = { data: 'x'.repeat(1024 * 1024) };
    const counted = jsonByteLength(value, 1000);
    expect(counted).toBeGreaterThan(1000);
    expect(counted).toBeLessThan(Buffer.byteLength(JSON.stringify(value)));
  });
});
