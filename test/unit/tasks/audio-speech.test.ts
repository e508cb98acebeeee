import { afterEach, describe, expect, it } from 'vitest';
import { runTask } from '../../../src/tasks/index.ts';
import {
  SERVED_MODEL,
  startFixedEngine,
  startTestMockVllm,
  type TestMockVllm,
} from '../../support/mock-vllm.ts';

let mock: TestMockVllm;
afterEach(() => mock?.close());

describe('openai/audio-speech', () => {
  it('sends no voice unless given, the Casola default format, and returns the audio as base64', async () => {
    mock = await startTestMockVllm({ omni: true });
    const input = 'héllo 👋';
    const result = await runTask({ task: 'openai/audio-speech', input }, mock.context());
    expect(mock.received.map((request) => [request.path, request.body])).toEqual([
      ['/v1/audio/speech', { model: SERVED_MODEL, input, response_format: 'mp3', speed: 1 }],
    ]);
    expect(result).toEqual({
      status: 'success',
      config_id: 'cfg-test',
      task: 'openai/audio-speech',
      processed_at: expect.any(String),
      audio_base64: expect.any(String),
      format: 'mp3',
      voice: null,
      input_length: 7,
    });
    expect(Buffer.from(result.audio_base64 as string, 'base64').toString('latin1', 0, 3)).toBe(
      'ID3',
    );
  });

  it('sends voice, response_format and speed as given', async () => {
    mock = await startTestMockVllm({ omni: true });
    const payload = {
      task: 'openai/audio-speech',
      input: 'hi',
      voice: 'alloy',
      response_format: 'wav',
      speed: 1.5,
    };
    const result = await runTask(payload, mock.context());
    expect(mock.received[0]?.body).toEqual({
      model: SERVED_MODEL,
      input: 'hi',
      voice: 'alloy',
      response_format: 'wav',
      speed: 1.5,
    });
    expect(result).toMatchObject({ format: 'wav', voice: 'alloy', input_length: 2 });
    expect(Buffer.from(result.audio_base64 as string, 'base64').toString('ascii', 0, 4)).toBe(
      'RIFF',
    );
  });

  it.each([
    [{}, 'invalid payload for openai/audio-speech: input: required'],
    [{ input: '' }, 'invalid payload for openai/audio-speech: input: must not be empty'],
    [
      { input: 'x', response_format: 'aac' },
      'invalid payload for openai/audio-speech: response_format: vLLM-Omni serves wav, pcm, flac, mp3, opus',
    ],
    [
      { input: 'x', speed: 4.5 },
      'invalid payload for openai/audio-speech: speed: must be between 0.25 and 4',
    ],
    [
      { input: 'x', speed: 0.2 },
      'invalid payload for openai/audio-speech: speed: must be between 0.25 and 4',
    ],
  ])('rejects the bad payload %j', async (payload, message) => {
    mock = await startTestMockVllm({ omni: true });
    const run = runTask({ task: 'openai/audio-speech', ...payload }, mock.context());
    await expect(run).rejects.toThrow(message);
    expect(mock.received).toEqual([]);
  });

  it("fails the job with vLLM's message when it answers 200 with a JSON error instead of audio", async () => {
    const engine = await startFixedEngine({
      contentType: 'application/json',
      body: JSON.stringify({ error: { message: 'audio dependencies are not installed' } }),
    });
    try {
      await expect(
        runTask({ task: 'openai/audio-speech', input: 'hi' }, engine.context()),
      ).rejects.toThrow(
        'vLLM returned an error for POST /v1/audio/speech: audio dependencies are not installed',
      );
    } finally {
      await engine.close();
    }
  });
});
