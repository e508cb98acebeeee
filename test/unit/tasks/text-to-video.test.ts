import { afterEach, describe, expect, it } from 'vitest';
import { jsonChunks } from '../../../src/jobs/json-stream.ts';
import { runTask } from '../../../src/tasks/index.ts';
import {
  SERVED_MODEL,
  startFixedEngine,
  startTestMockVllm,
  type TestMockVllm,
} from '../../support/mock-vllm.ts';

let mock: TestMockVllm;
afterEach(() => mock?.close());

const TASK = 'fal/text-to-video';

describe('fal/text-to-video', () => {
  it('sends the defaults and returns the video with its timing fields', async () => {
    mock = await startTestMockVllm();
    const result = await runTask({ task: TASK, prompt: 'a red fox' }, mock.context());
    expect(mock.received.map((request) => [request.path, request.body])).toEqual([
      [
        '/v1/videos/generations',
        {
          model: SERVED_MODEL,
          prompt: 'a red fox',
          n: 1,
          size: '1280x720',
          num_frames: 81,
          num_inference_steps: 50,
          guidance_scale: 7,
          fps: 16,
          response_format: 'b64_json',
        },
      ],
    ]);
    expect(result).toEqual({
      status: 'success',
      config_id: 'cfg-test',
      task: TASK,
      processed_at: expect.any(String),
      video_b64: expect.any(String),
      width: 1280,
      height: 720,
      num_frames: 81,
      fps: 16,
      duration_seconds: 81 / 16,
      inference_time_seconds: expect.any(Number),
      seed_used: expect.any(Number),
    });
    expect(Buffer.from(result.video_b64 as string, 'base64').toString('ascii', 4, 8)).toBe('ftyp');
  });

  it('sends the options given, negative prompt and seed included', async () => {
    mock = await startTestMockVllm();
    const options = {
      width: 640,
      height: 360,
      num_frames: 33,
      num_inference_steps: 20,
      guidance_scale: 5.5,
      fps: 8,
    };
    const payload = { task: TASK, prompt: 'p', negative_prompt: 'blur', seed: 11, ...options };
    const result = await runTask(payload, mock.context());
    expect(mock.received[0]?.body).toEqual({
      model: SERVED_MODEL,
      prompt: 'p',
      n: 1,
      size: '640x360',
      num_frames: 33,
      num_inference_steps: 20,
      guidance_scale: 5.5,
      fps: 8,
      response_format: 'b64_json',
      negative_prompt: 'blur',
      seed: 11,
    });
    expect(result).toMatchObject({
      width: 640,
      height: 360,
      num_frames: 33,
      fps: 8,
      duration_seconds: 33 / 8,
      seed_used: 11,
    });
  });

  it.each([
    [{}, 'invalid payload for fal/text-to-video: prompt: required'],
    [{ prompt: '' }, 'invalid payload for fal/text-to-video: prompt: must not be empty'],
    [{ prompt: 'p', num_frames: 2.5 }, /^invalid payload for fal\/text-to-video: num_frames: /],
    [{ prompt: 'p', fps: 0 }, /^invalid payload for fal\/text-to-video: fps: /],
  ])('rejects the bad payload %j', async (payload, message) => {
    mock = await startTestMockVllm();
    await expect(runTask({ task: TASK, ...payload }, mock.context())).rejects.toThrow(message);
    expect(mock.received).toEqual([]);
  });

  it('keeps a finished video whose seed is a 64-bit number, digit for digit', async () => {
    // vLLM may draw an unseeded generation's seed from 64 bits: past what a JS number holds.
    const engine = await startFixedEngine({
      contentType: 'application/json',
      body: '{"data":[{"b64_json":"AAAA","seed":9223372036854775807}]}',
    });
    try {
      const result = await runTask({ task: TASK, prompt: 'a red fox' }, engine.context());
      expect(result).toMatchObject({ status: 'success', video_b64: 'AAAA' });
      expect(JSON.stringify(result)).toContain('"seed_used":9223372036854775807');
      expect([...jsonChunks(result)].join('')).toBe(JSON.stringify(result));
    } finally {
      await engine.close();
    }
  });
});
