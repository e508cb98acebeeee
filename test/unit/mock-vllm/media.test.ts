import { afterEach, describe, expect, it } from 'vitest';
import type { Json } from '../../support/json.ts';
import { SERVED_MODEL, startTestMockVllm, type TestMockVllm } from '../../support/mock-vllm.ts';

let mock: TestMockVllm;
afterEach(() => mock?.close());

function post(path: string, body: unknown) {
  return fetch(`${mock.url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
}

describe('POST /v1/audio/speech', () => {
  it('answers a valid 16 kHz mono PCM WAV for response_format wav', async () => {
    mock = await startTestMockVllm();
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
    mock = await startTestMockVllm();
    const response = await post('/v1/audio/speech', { input: 'hi', response_format: format });
    expect(response.headers.get('content-type')).toBe(type);
    expect(Buffer.from(await response.arrayBuffer()).toString('latin1', 0, magic.length)).toBe(
      magic,
    );
  });

  it('answers 400 without input', async () => {
    mock = await startTestMockVllm();
    expect((await post('/v1/audio/speech', { voice: 'x' })).status).toBe(400);
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
    expect(text.headers.get('content-type')).toBe('text/plain');
    expect(await text.text()).toBe('mock transcription of 12 bytes of audio/wav');
    const verbose = (await (await form({ response_format: 'verbose_json' })).json()) as Json;
    expect(verbose).toMatchObject({ language: 'en', duration: expect.any(Number) });
    expect(verbose.segments).toHaveLength(1);
  });

  it('answers 400 without a file', async () => {
    mock = await startTestMockVllm();
    const body = new FormData();
    body.append('model', SERVED_MODEL);
    const response = await fetch(`${mock.url}/v1/audio/transcriptions`, { method: 'POST', body });
    expect(response.status).toBe(400);
  });
});

describe('video generations', () => {
  it('answers /v1/videos/generations with base64 MP4 bytes and the requested shape', async () => {
    mock = await startTestMockVllm();
    const response = await post('/v1/videos/generations', {
      prompt: 'a cat',
      size: '320x240',
      num_frames: 9,
      fps: 8,
      seed: 42,
    });
    const body = (await response.json()) as Json;
    expect(body.data[0]).toEqual({
      b64_json: expect.any(String),
      seed: 42,
      width: 320,
      height: 240,
      num_frames: 9,
      fps: 8,
    });
    expect(Buffer.from(body.data[0].b64_json, 'base64').toString('ascii', 4, 8)).toBe('ftyp');
  });

  it('answers /videos/generations at the root with the flat speech-to-video fields', async () => {
    mock = await startTestMockVllm();
    const response = await post('/videos/generations', {
      audio: 'data:audio/wav;base64,UklGRg==',
      image: 'data:image/jpeg;base64,/9j/',
      num_frames: 50,
      fps: 25,
    });
    expect(await response.json()).toEqual({
      video_b64: expect.any(String),
      width: 512,
      height: 512,
      num_frames: 50,
      fps: 25,
      duration_seconds: 2,
      inference_time_seconds: expect.any(Number),
      seed_used: expect.any(Number),
    });
  });

  it('answers 400 for a prompt-less generation', async () => {
    mock = await startTestMockVllm();
    expect((await post('/v1/videos/generations', { size: '1x1' })).status).toBe(400);
  });
});
