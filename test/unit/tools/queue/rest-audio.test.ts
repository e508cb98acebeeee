import { describe, expect, it } from 'vitest';
import { answerNextJob, useQueueHarness } from '../../../support/queue-harness.ts';

const harness = useQueueHarness();

describe('the OpenAI audio routes', () => {
  it('POST /v1/audio/speech answers the decoded audio bytes with the format content type', async () => {
    const queue = await harness.start();
    const worker = await harness.worker(queue, 'w1');
    const response = fetch(`${queue.httpUrl}/v1/audio/speech`, {
      method: 'POST',
      body: JSON.stringify({
        model: 'tts',
        input: 'hello',
        voice: 'alloy',
        response_format: 'wav',
      }),
    });
    const audio = Buffer.from('RIFF....WAVEfmt ');
    const payload = await answerNextJob(worker, {
      result: { audio_base64: audio.toString('base64'), format: 'wav', voice: 'alloy' },
    });
    expect(payload).toEqual({
      task: 'openai/audio-speech',
      model: 'tts',
      input: 'hello',
      voice: 'alloy',
      response_format: 'wav',
    });
    const answer = await response;
    expect(answer.status).toBe(200);
    expect(answer.headers.get('content-type')).toBe('audio/wav');
    expect(Buffer.from(await answer.arrayBuffer())).toEqual(audio);
  });

  it('POST /v1/audio/transcriptions takes a multipart form and sends audio_base64', async () => {
    const queue = await harness.start();
    const worker = await harness.worker(queue, 'w1');
    const form = new FormData();
    form.append('file', new Blob([Buffer.from('fake-wav')]), 'a.wav');
    form.append('model', 'whisper');
    form.append('language', 'en');
    const response = fetch(`${queue.httpUrl}/v1/audio/transcriptions`, {
      method: 'POST',
      body: form,
    });
    const payload = await answerNextJob(worker, { result: { text: 'hi there', duration: 1.5 } });
    expect(payload).toEqual({
      task: 'openai/audio-transcription',
      model: 'whisper',
      audio_base64: Buffer.from('fake-wav').toString('base64'),
      language: 'en',
    });
    const answer = await response;
    expect(answer.status).toBe(200);
    expect(await answer.json()).toEqual({ text: 'hi there' });
  });

  it('POST /v1/audio/transcriptions answers plain text when response_format is text', async () => {
    const queue = await harness.start();
    const worker = await harness.worker(queue, 'w1');
    const form = new FormData();
    form.append('file', new Blob([Buffer.from('x')]), 'a.wav');
    form.append('model', 'whisper');
    form.append('response_format', 'text');
    const response = fetch(`${queue.httpUrl}/v1/audio/transcriptions`, {
      method: 'POST',
      body: form,
    });
    await answerNextJob(worker, { result: { text: 'plain words' } });
    const answer = await response;
    expect(answer.headers.get('content-type')).toMatch(/^text\/plain/);
    expect(await answer.text()).toBe('plain words');
  });

  it('answers 400 to a transcription form without a file', async () => {
    const queue = await harness.start();
    await harness.worker(queue, 'w1');
    const form = new FormData();
    form.append('model', 'whisper');
    const response = await fetch(`${queue.httpUrl}/v1/audio/transcriptions`, {
      method: 'POST',
      body: form,
    });
    expect(response.status).toBe(400);
    expect(await response.json()).toEqual({ detail: expect.stringMatching(/file/) });
  });
});
