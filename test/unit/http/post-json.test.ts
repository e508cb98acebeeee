import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { getText } from '../../../src/http/get-text.ts';
import { postJson } from '../../../src/http/post-json.ts';
import { type HttpSink, startHttpSink } from '../../support/http-sink.ts';

const TOKEN = 'tok-SECRET-post-0123456789';

let sink: HttpSink;
beforeEach(async () => {
  sink = await startHttpSink();
});
afterEach(async () => {
  await sink.close();
});

describe('postJson', () => {
  it('POSTs JSON with the bearer token', async () => {
    const result = await postJson({
      url: `${sink.url}/x`,
      token: TOKEN,
      body: { a: 1, b: ['c'] },
      timeoutMs: 5_000,
    });
    expect(result).toEqual({ ok: true, status: 200 });
    const [request] = sink.requests;
    expect(request?.headers.authorization).toBe(`Bearer ${TOKEN}`);
    expect(request?.headers['content-type']).toBe('application/json');
    expect(request?.rawBody).toBe('{"a":1,"b":["c"]}');
  });

  it('sends no authorization header without a token', async () => {
    await postJson({ url: `${sink.url}/x`, body: {}, timeoutMs: 5_000 });
    expect(sink.requests[0]?.headers).not.toHaveProperty('authorization');
  });

  it('turns a non-2xx answer, a timeout and a refused connection into data without the token', async () => {
    sink.respond('/rejected', { status: 403, body: { error: 'forbidden' } });
    sink.respond('/hang', { hang: true });
    const closed = await startHttpSink();
    await closed.close();
    const post = (url: string) => postJson({ url, token: TOKEN, body: {}, timeoutMs: 100 });
    const results = [
      await post(`${sink.url}/rejected`),
      await post(`${sink.url}/hang`),
      await post(`${closed.url}/x`),
    ];
    expect(results).toEqual([
      { ok: false, status: 403, reason: 'HTTP 403' },
      { ok: false, reason: 'no answer within 100 ms' },
      { ok: false, reason: expect.stringContaining('ECONNREFUSED') },
    ]);
    expect(JSON.stringify(results)).not.toContain(TOKEN);
  });
});

describe('getText', () => {
  it('reads a text body', async () => {
    sink.respond('/metrics', { text: 'm 1\n' });
    expect(await getText(`${sink.url}/metrics`, 5_000)).toEqual({
      ok: true,
      status: 200,
      text: 'm 1\n',
    });
  });

  it('reports a non-2xx answer and a timeout as data', async () => {
    sink.respond('/down', { status: 503 });
    sink.respond('/hang', { hang: true });
    expect(await getText(`${sink.url}/down`, 5_000)).toEqual({
      ok: false,
      status: 503,
      reason: 'HTTP 503',
    });
    expect(await getText(`${sink.url}/hang`, 100)).toEqual({
      ok: false,
      reason: 'no answer within 100 ms',
    });
  });
});
