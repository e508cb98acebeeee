import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { silentLogger } from '../../../src/observability/logger.ts';
import { runTask } from '../../../src/tasks/index.ts';
import { SERVED_MODEL, startTestMockVllm, type TestMockVllm } from '../../support/mock-vllm.ts';

let mock: TestMockVllm;
afterEach(() => mock?.close());

describe('openai/audio-speech', () => {
  it('sends the defaults and returns the audio as base64 with its length in characters', async () => {
    mock = await startTestMockVllm();
    const input = 'héllo 👋';
    const result = await runTask({ task: 'openai/audio-speech', input }, mock.context());
    expect(mock.received.map((request) => [request.path, request.body])).toEqual([
      [
        '/v1/audio/speech',
        { model: SERVED_MODEL, input, voice: 'default', response_format: 'mp3', speed: 1 },
      ],
    ]);
    expect(result).toEqual({
      status: 'success',
      config_id: 'cfg-test',
      task: 'openai/audio-speech',
      processed_at: expect.any(String),
      audio_base64: expect.any(String),
      format: 'mp3',
      voice: 'default',
      input_length: 7,
    });
    expect(Buffer.from(result.audio_base64 as string, 'base64').toString('latin1', 0, 3)).toBe(
      'ID3',
    );
  });

  it('sends voice, response_format and speed as given', async () => {
    mock = await startTestMockVllm();
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
      { input: 'x', response_format: 'ogg' },
      /^invalid payload for openai\/audio-speech: response_format: /,
    ],
  ])('rejects the bad payload %j', async (payload, message) => {
    mock = await startTestMockVllm();
    const run = runTask({ task: 'openai/audio-speech', ...payload }, mock.context());
    await expect(run).rejects.toThrow(message);
    expect(mock.received).toEqual([]);
  });

  it("fails the job with vLLM's message when it answers 200 with a JSON error instead of audio", async () => {
    const server = createServer((_, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: { message: 'audio dependencies are not installed' } }));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const { port } = server.address() as AddressInfo;
      const context = {
        engine: { baseUrl: `http://127.0.0.1:${port}`, model: SERVED_MODEL },
        configId: 'cfg-test',
        signal: new AbortController().signal,
        logger: silentLogger(),
      };
      await expect(runTask({ task: 'openai/audio-speech', input: 'hi' }, context)).rejects.toThrow(
        'vLLM returned an error for POST /v1/audio/speech: audio dependencies are not installed',
      );
    } finally {
      server.close();
    }
  });
});
