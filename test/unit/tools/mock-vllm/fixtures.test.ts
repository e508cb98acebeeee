/**
 * The mock vLLM against the engine contract (test/fixtures/vllm/*.json, taken from upstream):
 * every exchange replayed, its status, content type and every field of the answer as the
 * fixture has it.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import type { MockVllmOptions } from '../../../../src/tools/mock-vllm/server.ts';
import { startTestMockVllm, type TestMockVllm } from '../../../support/mock-vllm.ts';

const DIR = new URL('../../../fixtures/vllm/', import.meta.url);

type FormFile = { filename: string; contentType: string; base64: string };
type Exchange = {
  name: string;
  request: {
    method: string;
    path: string;
    headers?: Record<string, string>;
    json?: unknown;
    form?: Record<string, string | FormFile>;
  };
  response: {
    status: number;
    contentType?: string;
    json?: unknown;
    startsWith?: string;
    exact?: string[];
  };
};
type Fixture = {
  sources: string[];
  serve?: MockVllmOptions;
  exchanges?: Exchange[];
  series?: string[];
};

const fixtures = readdirSync(DIR)
  .filter((name) => name.endsWith('.json'))
  .map((name) => [name, JSON.parse(readFileSync(new URL(name, DIR), 'utf8')) as Fixture] as const);

let mock: TestMockVllm;
afterEach(() => mock?.close());

function bodyOf(request: Exchange['request']): {
  body?: string | FormData;
  headers: Record<string, string>;
} {
  const headers = { ...request.headers };
  if (request.json !== undefined) {
    return {
      body: JSON.stringify(request.json),
      headers: { ...headers, 'content-type': 'application/json' },
    };
  }
  if (request.form === undefined) return { headers };
  const form = new FormData();
  for (const [name, value] of Object.entries(request.form)) {
    if (typeof value === 'string') form.append(name, value);
    else
      form.append(
        name,
        new Blob([Buffer.from(value.base64, 'base64')], { type: value.contentType }),
        value.filename,
      );
  }
  return { body: form, headers };
}

/** Where `actual` lacks a field of `expected` or has it with another JSON type; `null` expects anything. */
function mismatches(expected: unknown, actual: unknown, path = '$'): string[] {
  if (expected === null) return [];
  const kind = (value: unknown) =>
    Array.isArray(value) ? 'array' : value === null ? 'null' : typeof value;
  if (kind(expected) !== kind(actual))
    return [`${path}: ${kind(expected)} expected, ${kind(actual)} received`];
  if (Array.isArray(expected)) {
    const items = actual as unknown[];
    if (expected.length > 0 && items.length === 0) return [`${path}: no items`];
    return expected.length === 0 ? [] : mismatches(expected[0], items[0], `${path}[0]`);
  }
  if (typeof expected !== 'object') return [];
  return Object.entries(expected as Record<string, unknown>).flatMap(([key, value]) =>
    key in (actual as object)
      ? mismatches(value, (actual as Record<string, unknown>)[key], `${path}.${key}`)
      : [`${path}.${key}: missing`],
  );
}

describe.each(fixtures.filter(([, fixture]) => fixture.exchanges))('%s', (_name, fixture) => {
  it('names its upstream sources', () => {
    expect(
      fixture.sources.every(
        (source) =>
          /^vllm-project\/vllm(-omni)? \S+ \S+/.test(source) || source.startsWith('fastapi/'),
      ),
    ).toBe(true);
  });

  it('is what the mock answers, exchange by exchange', async () => {
    mock = await startTestMockVllm(fixture.serve ?? {});
    let id = '';
    for (const exchange of fixture.exchanges ?? []) {
      const { request, response: want } = exchange;
      const response = await fetch(`${mock.url}${request.path.replace('{id}', id)}`, {
        method: request.method,
        ...bodyOf(request),
      });
      const got = Buffer.from(await response.arrayBuffer());
      // uvicorn closes idle connections after 5 s without announcing it.
      expect(response.headers.get('keep-alive')).toBeNull();
      const where = `${exchange.name}: ${request.method} ${request.path}`;
      expect([where, response.status]).toEqual([where, want.status]);
      if (want.contentType)
        expect(response.headers.get('content-type')).toMatch(new RegExp(`^${want.contentType}`));
      if (want.startsWith)
        expect(got.toString('latin1', 0, want.startsWith.length)).toBe(want.startsWith);
      if (want.json === undefined) continue;
      const json = JSON.parse(got.toString('utf8')) as Record<string, unknown>;
      expect([where, mismatches(want.json, json)]).toEqual([where, []]);
      for (const key of want.exact ?? []) {
        expect([where, key, json[key]]).toEqual([
          where,
          key,
          (want.json as Record<string, unknown>)[key],
        ]);
      }
      if (typeof json.id === 'string') id = json.id;
    }
  });
});

describe('metrics.json', () => {
  const fixture = fixtures.find(([name]) => name === 'metrics.json')![1];
  it('has every series the fixture lists, with its labels', async () => {
    mock = await startTestMockVllm(fixture.serve ?? {});
    const text = await (await fetch(`${mock.url}/metrics`)).text();
    const samples = text.split('\n').map((line) => line.split(' ')[0]);
    expect(fixture.series?.filter((series) => !samples.includes(series))).toEqual([]);
  });
});
