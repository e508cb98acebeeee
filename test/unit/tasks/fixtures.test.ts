/**
 * The tasks against upstream's own answers (test/fixtures/vllm/*.json, replayed): each sends
 * what the fixture's request has, and reads what the fixture's answer has.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { runTask } from '../../../src/tasks/index.ts';
import { type FixtureEngine, startFixtureEngine } from '../../support/fixture-engine.ts';
import type { Json } from '../../support/json.ts';

let engine: FixtureEngine;
afterEach(() => engine?.close());

describe('the tasks against the contract fixtures', () => {
  it("openai/chat-completion sends the fixture's request and returns its completion", async () => {
    engine = await startFixtureEngine('chat-completions.json');
    const [exchange] = engine.exchanges as [Json];
    const result = await runTask(
      { task: 'openai/chat-completion', messages: exchange.request.json.messages },
      engine.context({ model: 'qwen', mode: 'vllm' }),
    );
    expect(engine.received[0]?.request.body).toEqual(exchange.request.json);
    expect(result.completion).toMatchObject({
      choices: [{ message: { role: 'assistant', content: 'hello there' }, finish_reason: 'stop' }],
      usage: exchange.response.json.usage,
    });
  });

  it('openai/audio-transcription reads verbose_json with its duration as a string', async () => {
    engine = await startFixtureEngine('audio-transcriptions.json', [
      'verbose_json: the duration is a string',
    ]);
    const [exchange] = engine.exchanges as [Json];
    const { file, ...fields } = exchange.request.form;
    const result = await runTask(
      {
        task: 'openai/audio-transcription',
        audio_base64: file.base64,
        response_format: 'verbose_json',
        language: 'en',
      },
      engine.context({ model: 'whisper', mode: 'vllm' }),
    );
    expect(engine.received[0]?.request.fields).toMatchObject(fields);
    expect(result).toMatchObject({
      text: 'hello',
      language: 'en',
      duration: 0.01,
      segments: [{ id: 0 }],
    });
  });

  it("openai/audio-speech sends the fixture's request and returns its audio", async () => {
    engine = await startFixtureEngine('audio-speech.json');
    const [exchange] = engine.exchanges as [Json];
    const result = await runTask(
      { task: 'openai/audio-speech', input: 'Hello', response_format: 'wav' },
      engine.context({ model: 'tts', mode: 'omni' }),
    );
    expect(engine.received[0]?.request.body).toEqual(exchange.request.json);
    expect(Buffer.from(result.audio_base64 as string, 'base64').toString('latin1')).toBe('RIFF');
  });

  it('fal/speech-to-video walks the video job of the fixture: create, poll, content, delete', async () => {
    engine = await startFixtureEngine('videos.json');
    const [create] = engine.exchanges as [Json];
    const progress: unknown[] = [];
    const context = {
      ...engine.context({ model: 'wan', mode: 'omni' }),
      progress: (value?: number) => progress.push(value),
    };
    const result = await runTask(
      {
        task: 'fal/speech-to-video',
        prompt: create.request.form.prompt,
        image_url: 'https://example.com/face.png',
        audio_url: 'https://example.com/speech.mp3',
        num_frames: 80,
        fps: 16,
        num_inference_steps: 40,
      },
      context,
    );
    const sent = engine.received[0]?.request.fields ?? {};
    for (const [name, value] of Object.entries(sent)) {
      const expected = name.endsWith('_reference')
        ? JSON.stringify(JSON.parse(create.request.form[name]))
        : create.request.form[name];
      expect([name, value]).toEqual([name, expected]);
    }
    expect(engine.received.map(({ exchange }) => exchange.name)).toEqual([
      'create a job',
      'its status while it runs',
      'polled on',
      'completed',
      'its MP4',
      'deleted',
    ]);
    expect(progress).toEqual([0, 0.33, 0.67]);
    expect(result).toMatchObject({
      width: 1280,
      height: 720,
      num_frames: 80,
      fps: 16,
      duration_seconds: 5,
      inference_time_seconds: 41.2,
    });
    expect(Buffer.from(result.video_b64 as string, 'base64').toString('latin1')).toBe('ftyp-bytes');
  });
});
