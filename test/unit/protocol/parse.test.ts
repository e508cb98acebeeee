import { describe, expect, it } from 'vitest';
import {
  encodeQueueFrame,
  encodeWorkerFrame,
  parseQueueFrame,
  parseWorkerFrame,
} from '../../../src/protocol/index.ts';

const text = (value: unknown) => JSON.stringify(value);

describe('queue → worker frames', () => {
  it('parses a job frame and applies the defaults of protocol.md', () => {
    const parsed = parseQueueFrame(text({ type: 'job', job_id: 'j1', config_id: 'cfg' }));
    expect(parsed).toEqual({
      ok: true,
      frame: {
        type: 'job',
        job_id: 'j1',
        config_id: 'cfg',
        mode: 'transient',
        fence_token: 0,
        payload: {},
      },
    });
  });

  it('keeps a full persisted job with offload URLs and unknown extra fields', () => {
    const frame = {
      type: 'job',
      job_id: 'j2',
      mode: 'persisted',
      config_id: 'cfg',
      fence_token: 7,
      payload: { task: 'openai/embeddings', input: 'hi' },
      payload_url: 'http://127.0.0.1:1/p',
      result_upload_url: 'https://example.test/r?sig=1',
      priority: 3,
    };
    expect(parseQueueFrame(text(frame))).toEqual({ ok: true, frame });
  });

  it('keeps a null or array payload as sent', () => {
    for (const payload of [null, [1, 2], 'text']) {
      const parsed = parseQueueFrame(text({ type: 'job', job_id: 'j', config_id: 'c', payload }));
      expect(parsed.ok && parsed.frame.type === 'job' && parsed.frame.payload).toEqual(payload);
    }
  });

  it('reads a null optional or defaulted field as a missing one, as a Python queue sends it', () => {
    const frame = {
      type: 'job',
      job_id: 'j',
      config_id: 'c',
      mode: null,
      fence_token: null,
      payload_url: null,
      result_upload_url: null,
    };
    const parsed = parseQueueFrame(text(frame));
    expect(parsed).toMatchObject({
      ok: true,
      frame: { type: 'job', job_id: 'j', mode: 'transient', fence_token: 0, payload: {} },
    });
    expect(parsed.ok && parsed.frame.type === 'job' && parsed.frame.payload_url).toBeUndefined();
    expect(parsed.ok && parsed.frame.type === 'job' && parsed.frame.result_upload_url).toBe(
      undefined,
    );
  });

  it('honours a revocation without a reason (or a null one)', () => {
    for (const reason of [undefined, null]) {
      expect(parseQueueFrame(text({ type: 'job_revoked', job_id: 'j', reason }))).toEqual({
        ok: true,
        frame: { type: 'job_revoked', job_id: 'j', reason: 'no reason given' },
      });
    }
  });

  it.each([
    ['job_id missing', { type: 'job', config_id: 'c' }, 'job_id'],
    ['job_id empty', { type: 'job', job_id: '', config_id: 'c' }, 'job_id'],
    ['config_id missing', { type: 'job', job_id: 'j' }, 'config_id'],
    ['mode unknown', { type: 'job', job_id: 'j', config_id: 'c', mode: 'batch' }, 'mode'],
    [
      'fence negative',
      { type: 'job', job_id: 'j', config_id: 'c', fence_token: -1 },
      'fence_token',
    ],
    [
      'fence fractional',
      { type: 'job', job_id: 'j', config_id: 'c', fence_token: 1.5 },
      'fence_token',
    ],
    ['fence string', { type: 'job', job_id: 'j', config_id: 'c', fence_token: '3' }, 'fence_token'],
    [
      'payload_url not a URL',
      { type: 'job', job_id: 'j', config_id: 'c', payload_url: 'x' },
      'payload_url',
    ],
    [
      'payload_url ftp',
      { type: 'job', job_id: 'j', config_id: 'c', payload_url: 'ftp://h/x' },
      'payload_url',
    ],
    [
      'upload url bad',
      { type: 'job', job_id: 'j', config_id: 'c', result_upload_url: 3 },
      'result_upload_url',
    ],
    ['revoked without job', { type: 'job_revoked', reason: 'lease' }, 'job_id'],
    ['ack without job', { type: 'job_result_ref' }, 'job_id'],
    ['error without message', { type: 'error' }, 'message'],
  ])('rejects %s, naming the field', (_name, frame, field) => {
    const parsed = parseQueueFrame(text(frame));
    expect(parsed.ok).toBe(false);
    if (parsed.ok) return;
    expect(parsed.reason).toBe('invalid_fields');
    expect(parsed.detail).toContain(field);
    expect(parsed.type).toBe(frame.type);
  });

  it('reports the job_id of an invalid job frame so the worker can answer it', () => {
    const parsed = parseQueueFrame(text({ type: 'job', job_id: 'j9', config_id: 'c', mode: 'x' }));
    expect(parsed).toMatchObject({ ok: false, reason: 'invalid_fields', jobId: 'j9' });
  });

  it('parses revocations, acknowledgements and errors', () => {
    expect(
      parseQueueFrame(text({ type: 'job_revoked', job_id: 'j', reason: 'lease expired' })),
    ).toEqual({ ok: true, frame: { type: 'job_revoked', job_id: 'j', reason: 'lease expired' } });
    expect(parseQueueFrame(text({ type: 'job_result_ref', job_id: 'j' }))).toEqual({
      ok: true,
      frame: { type: 'job_result_ref', job_id: 'j' },
    });
    expect(parseQueueFrame(text({ type: 'error', message: 'stale fence token' }))).toEqual({
      ok: true,
      frame: { type: 'error', message: 'stale fence token' },
    });
  });

  it('names an unknown type, and a frame with no type', () => {
    expect(parseQueueFrame(text({ type: 'hello', job_id: 'j' }))).toMatchObject({
      ok: false,
      reason: 'unknown_type',
      type: 'hello',
      jobId: 'j',
      detail: "unknown frame type 'hello'",
    });
    expect(parseQueueFrame(text({ job_id: 'j' }))).toMatchObject({
      ok: false,
      reason: 'unknown_type',
      detail: 'frame has no type',
    });
  });

  it('treats the names of Object.prototype members as unknown types, for both directions', () => {
    for (const type of ['constructor', 'toString', '__proto__', 'hasOwnProperty', 'valueOf']) {
      const frame = `{"type":${JSON.stringify(type)}}`;
      const unknown = { ok: false, reason: 'unknown_type', detail: `unknown frame type '${type}'` };
      expect(parseQueueFrame(frame)).toMatchObject(unknown);
      expect(parseWorkerFrame(frame)).toMatchObject(unknown);
    }
  });

  it('rejects text that is not a JSON object and quotes its first 200 characters', () => {
    const garbage = `not json ${'x'.repeat(500)}`;
    const parsed = parseQueueFrame(garbage);
    expect(parsed).toMatchObject({ ok: false, reason: 'not_json' });
    expect(!parsed.ok && parsed.preview).toBe(garbage.slice(0, 200));
    for (const notObject of ['[1,2]', '42', 'null', '"job"']) {
      expect(parseQueueFrame(notObject)).toMatchObject({ ok: false, reason: 'not_json' });
    }
  });

  it('does not accept worker frames as queue frames', () => {
    expect(
      parseQueueFrame(text({ type: 'register', worker_id: 'w', config_id: 'c' })),
    ).toMatchObject({
      ok: false,
      reason: 'unknown_type',
    });
  });
});

describe('worker → queue frames', () => {
  it('applies capacity 1 by default to register', () => {
    expect(parseWorkerFrame(text({ type: 'register', worker_id: 'w', config_id: 'c' }))).toEqual({
      ok: true,
      frame: { type: 'register', worker_id: 'w', config_id: 'c', capacity: 1 },
    });
  });

  it.each([
    [{ type: 'job_result', job_id: 'j', result: { a: 1 }, fence_token: 0 }],
    [{ type: 'job_result', job_id: 'j', result: null, fence_token: 3 }],
    [{ type: 'job_result_ref', job_id: 'j', fence_token: 3 }],
    [{ type: 'job_error', job_id: 'j', error: 'boom', fence_token: 0 }],
    [{ type: 'job_progress', job_id: 'j', fence_token: 2 }],
    [
      {
        type: 'job_progress',
        job_id: 'j',
        fence_token: 2,
        progress: 0.5,
        status_message: 'processing',
      },
    ],
    [{ type: 'drain' }],
    [{ type: 'pause' }],
    [{ type: 'resume' }],
  ])('accepts %j unchanged', (frame) => {
    expect(parseWorkerFrame(text(frame))).toEqual({ ok: true, frame });
  });

  it.each([
    ['register without worker_id', { type: 'register', config_id: 'c' }, 'worker_id'],
    [
      'register capacity -1',
      { type: 'register', worker_id: 'w', config_id: 'c', capacity: -1 },
      'capacity',
    ],
    ['result without result', { type: 'job_result', job_id: 'j', fence_token: 0 }, 'result'],
    ['result without fence', { type: 'job_result', job_id: 'j', result: 1 }, 'fence_token'],
    ['ref without fence', { type: 'job_result_ref', job_id: 'j' }, 'fence_token'],
    ['error not a string', { type: 'job_error', job_id: 'j', error: {}, fence_token: 0 }, 'error'],
    [
      'progress not a number',
      { type: 'job_progress', job_id: 'j', fence_token: 0, progress: 'x' },
      'progress',
    ],
  ])('rejects %s, naming the field', (_name, frame, field) => {
    const parsed = parseWorkerFrame(text(frame));
    expect(parsed).toMatchObject({ ok: false, reason: 'invalid_fields' });
    expect(!parsed.ok && parsed.detail).toContain(field);
  });
});

describe('encoding', () => {
  it('builds outbound frames through the schemas, defaults included', () => {
    expect(
      JSON.parse(encodeWorkerFrame({ type: 'register', worker_id: 'w', config_id: 'c' })),
    ).toEqual({
      type: 'register',
      worker_id: 'w',
      config_id: 'c',
      capacity: 1,
    });
    expect(JSON.parse(encodeQueueFrame({ type: 'job', job_id: 'j', config_id: 'c' }))).toEqual({
      type: 'job',
      job_id: 'j',
      config_id: 'c',
      mode: 'transient',
      fence_token: 0,
      payload: {},
    });
  });

  it('refuses to send a frame that breaks the contract', () => {
    expect(() =>
      encodeWorkerFrame({ type: 'job_error', job_id: '', error: 'x', fence_token: 0 }),
    ).toThrow(/job_id/);
  });
});
