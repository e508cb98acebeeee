import { afterEach, describe, expect, it } from 'vitest';
import type { Json } from '../../../support/json.ts';
import { SERVED_MODEL, startTestMockVllm, type TestMockVllm } from '../../../support/mock-vllm.ts';

let mock: TestMockVllm;
afterEach(() => mock?.close());

function post(path: string, body: unknown) {
  return fetch(`${mock.url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
}

describe('POST /v1/audio/speech (--omni)', () => {
  it('answers a valid 16 kHz mono PCM WAV for response_format wav', async () => {
    mock = await startTestMockVllm({ omni: true });
    const response = await post('/v1/audio/speech', {
      input: 'hello world',
      response_format: 'wav',
    });
    const wav = Buffer.from(await response.arrayBuffer());
    expect(response.headers.get('content-type')).toBe('audio/wav');
    expect(wav.toString('ascii', 0, 4)).toBe('RIFF');
    expect(wav.readUInt32LE(4)).toBe(wav.length - 8);
    expect(wav.toString('ascii', 8, 16)).toBe('WAVEfmt ');
    expect([wav.readUInt16LE(20), wav.readUInt16LE(22), wav.readUInt32LE(24)]).toEqual([
      1, 1, 16_000,
    ]);
    expect(wav.toString('ascii', 36, 40)).toBe('data');
    expect(wav.readUInt32LE(40)).toBe(wav.length - 44);
  });

  it.each([
    ['mp3', 'audio/mpeg', 'ID3'],
    ['flac', 'audio/flac', 'fLaC'],
    ['opus', 'audio/ogg', 'OggS'],
  ])('answers %s bytes with content type %s', async (format, type, magic) => {
    mock = await startTestMockVllm({ omni: true });
    const response = await post('/v1/audio/speech', { input: 'hi', response_format: format });
    expect(response.headers.get('content-type')).toBe(type);
    expect(Buffer.from(await response.arrayBuffer()).toString('latin1', 0, magic.length)).toBe(
      magic,
    );
  });

  it.each([
    [{ voice: 'x' }, 'input'],
    [{ input: 'hi', response_format: 'aac' }, 'response_format'],
    [{ input: 'hi', speed: 4.5 }, 'speed'],
  ])('answers 400 for %j, naming %s', async (body, field) => {
    mock = await startTestMockVllm({ omni: true });
    const response = await post('/v1/audio/speech', body);
    expect(response.status).toBe(400);
    expect(JSON.stringify(await response.json())).toContain(field);
  });
});

describe('POST /v1/audio/transcriptions', () => {
  function form(fields: Record<string, string>, file = Buffer.from('RIFF....WAVE')) {
    const body = new FormData();
    body.append('file', new Blob([file], { type: 'audio/wav' }), 'clip.wav');
    for (const [name, value] of Object.entries(fields)) body.append(name, value);
    return fetch(`${mock.url}/v1/audio/transcriptions`, { method: 'POST', body });
  }

  it('answers {text} JSON and reports the multipart fields it received', async () => {
    mock = await startTestMockVllm();
    const response = await form({ model: SERVED_MODEL, language: 'fr' });
    expect(await response.json()).toEqual({ text: 'mock transcription of 12 bytes of audio/wav' });
    expect(mock.received.at(-1)?.fields).toEqual({
      file: { filename: 'clip.wav', contentType: 'audio/wav', data: Buffer.from('RIFF....WAVE') },
      model: SERVED_MODEL,
      language: 'fr',
    });
  });

  it('answers plain text for response_format text, and segments for verbose_json', async () => {
    mock = await startTestMockVllm();
    const text = await form({ response_format: 'text' });
    expect(text.headers.get('content-type')).toBe('text/plain; charset=utf-8');
    expect(await text.text()).toBe('mock transcription of 12 bytes of audio/wav');
    const verbose = (await (await form({ response_format: 'verbose_json' })).json()) as Json;
    // TranscriptionResponseVerbose(duration=str(...)), as vLLM sends it.
    expect(verbose).toMatchObject({ language: 'en', duration: expect.stringMatching(/^\d/) });
    expect(verbose.segments).toHaveLength(1);
  });

  it.each(['srt', 'vtt'])('refuses response_format %s as vLLM does', async (format) => {
    mock = await startTestMockVllm();
    const response = await form({ response_format: format });
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({
      error: { message: 'Currently only support response_format`text`, `json` or `verbose_json`' },
    });
  });

  it('answers 400 without a file', async () => {
    mock = await startTestMockVllm();
    const body = new FormData();
    body.append('model', SERVED_MODEL);
    const response = await fetch(`${mock.url}/v1/audio/transcriptions`, { method: 'POST', body });
    expect(response.status).toBe(400);
  });
});

function postForm(path: string, fields: Record<string, string>) {
  const body = new FormData();
  for (const [name, value] of Object.entries(fields)) body.append(name, value);
  return fetch(`${mock.url}${path}`, { method: 'POST', body });
}

describe('the vLLM-Omni video API (--omni)', () => {
  it('runs a job: queued, in progress with rising progress, completed, content, deleted', async () => {
    mock = await startTestMockVllm({ omni: true });
    const created = (await (
      await postForm('/v1/videos', { prompt: 'a cat', width: '320', height: '240', seed: '42' })
    ).json()) as Json;
    expect(created).toMatchObject({
      object: 'video',
      status: 'queued',
      progress: 0,
      size: '320x240',
    });
    const id = created.id as string;
    const polls: Json[] = [];
    for (let i = 0; i < 3; i++)
      polls.push((await (await fetch(`${mock.url}/v1/videos/${id}`)).json()) as Json);
    expect(polls.map((poll) => [poll.status, poll.progress])).toEqual([
      ['in_progress', 33],
      ['in_progress', 67],
      ['completed', 100],
    ]);
    const content = await fetch(`${mock.url}/v1/videos/${id}/content`);
    expect(content.headers.get('content-type')).toBe('video/mp4');
    expect(Buffer.from(await content.arrayBuffer()).toString('ascii', 4, 8)).toBe('ftyp');
    const deleted = await fetch(`${mock.url}/v1/videos/${id}`, { method: 'DELETE' });
    expect(await deleted.json()).toEqual({ id, deleted: true, object: 'video.deleted' });
    expect((await fetch(`${mock.url}/v1/videos/${id}`)).status).toBe(404);
  });

  it('answers /v1/videos/sync with the MP4 bytes', async () => {
    mock = await startTestMockVllm({ omni: true });
    const response = await postForm('/v1/videos/sync', { prompt: 'a cat' });
    expect(response.headers.get('content-type')).toBe('video/mp4');
  });

  it('answers GET /v1/videos/sync as a lookup of video job "sync": 404, as Starlette routes it', async () => {
    mock = await startTestMockVllm({ omni: true });
    const response = await fetch(`${mock.url}/v1/videos/sync`);
    expect(response.status).toBe(404);
    expect(await response.json()).toMatchObject({ error: { message: 'Video sync not found' } });
  });

  it("answers 400 in vLLM's error shape for a malformed image reference", async () => {
    mock = await startTestMockVllm({ omni: true });
    const response = await postForm('/v1/videos', { prompt: 'x', image_reference: '{"url": 1}' });
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({ error: { type: 'BadRequestError', code: 400 } });
  });

  it('serves neither speech nor video as plain vLLM: FastAPI answers 404', async () => {
    mock = await startTestMockVllm();
    for (const path of ['/v1/videos', '/v1/audio/speech']) {
      const response = await postForm(path, { prompt: 'x', input: 'x' });
      expect([path, response.status, await response.json()]).toEqual([
        path,
        404,
        { detail: 'Not Found' },
      ]);
    }
  });
});
