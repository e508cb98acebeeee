import { request } from 'undici';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type HttpSink, startHttpSink } from '../../support/http-sink.ts';

let sink: HttpSink;
beforeEach(async () => {
  sink = await startHttpSink();
});
afterEach(async () => {
  await sink.close();
});

async function call(path: string, body?: string, signal?: AbortSignal) {
  const response = await request(`${sink.url}${path}`, {
    method: body === undefined ? 'GET' : 'POST',
    headers: { 'x-test': 'yes' },
    ...(body === undefined ? {} : { body }),
    ...(signal ? { signal } : {}),
  });
  return { status: response.statusCode, body: await response.body.text() };
}

describe('http sink', () => {
  it('listens on 127.0.0.1 and records method, path, query, headers and bodies', async () => {
    expect(sink.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(await call('/a?x=1', '{"k":"v"}')).toEqual({ status: 200, body: '{}' });
    await call('/b', 'not json');
    const [first, second] = sink.requests;
    expect(first).toMatchObject({
      method: 'POST',
      path: '/a',
      rawBody: '{"k":"v"}',
      body: { k: 'v' },
    });
    expect(first?.query.get('x')).toBe('1');
    expect(first?.headers['x-test']).toBe('yes');
    expect(second).toMatchObject({ path: '/b', rawBody: 'not json', body: undefined });
    expect(sink.requestsTo('/b')).toEqual([second]);
  });

  it('answers per path with a status, a JSON body or text', async () => {
    sink.respond('/json', { status: 201, body: { ok: true } });
    sink.respond('/text', { text: 'm 1\n' });
    expect(await call('/json', '')).toEqual({ status: 201, body: '{"ok":true}' });
    expect(await call('/text')).toEqual({ status: 200, body: 'm 1\n' });
    expect(await call('/other')).toEqual({ status: 200, body: '{}' });
  });

  it('fails N times, then succeeds', async () => {
    sink.respond('/flaky', { failTimes: 2, failStatus: 503, body: { done: 1 } });
    const statuses = [];
    for (let i = 0; i < 3; i++) statuses.push((await call('/flaky', '{}')).status);
    expect(statuses).toEqual([503, 503, 200]);
  });

  it('answers after a delay', async () => {
    sink.respond('/slow', { delayMs: 20, body: { slow: true } });
    expect(await call('/slow')).toEqual({ status: 200, body: '{"slow":true}' });
  });

  it('hangs until the caller gives up, still recording the request', async () => {
    sink.respond('/hang', { hang: true });
    await expect(call('/hang', '{}', AbortSignal.timeout(100))).rejects.toThrow();
    expect(sink.requestsTo('/hang')).toHaveLength(1);
  });

  it('answers hanging requests when released, and later ones as released', async () => {
    sink.respond('/held', { hang: true });
    const first = call('/held');
    const second = call('/held');
    await sink.waitFor((r) => r.path === '/held' && sink.requestsTo('/held').length === 2);
    expect(sink.release('/held', { status: 503 })).toBe(2);
    expect((await first).status).toBe(503);
    expect((await second).status).toBe(503);
    expect((await call('/held')).status).toBe(503);
    expect(sink.release('/held')).toBe(0);
    expect(await call('/held')).toEqual({ status: 200, body: '{}' });
  });

  it('waitFor resolves with a past or a future request', async () => {
    await call('/past');
    expect((await sink.waitFor((r) => r.path === '/past')).path).toBe('/past');
    const future = sink.waitFor((r) => r.path === '/future');
    await call('/future');
    expect((await future).path).toBe('/future');
  });

  it('waitFor rejects with a message when nothing matches in time', async () => {
    await expect(sink.waitFor((r) => r.path === '/never', 50)).rejects.toThrow(
      'no matching request within 50 ms',
    );
  });

  it('closes while a request hangs', async () => {
    sink.respond('/hang', { hang: true });
    const pending = call('/hang', '{}').catch((error: Error) => error);
    await sink.waitFor((r) => r.path === '/hang');
    await sink.close();
    expect(await pending).toBeInstanceOf(Error);
  });
});
