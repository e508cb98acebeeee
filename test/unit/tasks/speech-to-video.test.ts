import { afterEach, describe, expect, it } from 'vitest';
import { runTask } from '../../../src/tasks/index.ts';
import { SERVED_MODEL, startTestMockVllm, type TestMockVllm } from '../../support/mock-vllm.ts';

let mock: TestMockVllm;
afterEach(() => mock?.close());

const TASK = 'fal/speech-to-video';
const AUDIO_URL = 'https://media.example.com/speech.wav';
const IMAGE_URL = 'https://media.example.com/face.png';

describe('fal/speech-to-video', () => {
  it("passes both URLs as vLLM-Omni's image and audio references, leaving the rest to the model", async () => {
    mock = await startTestMockVllm({ omni: true });
    const payload = { task: TASK, audio_url: AUDIO_URL, image_url: IMAGE_URL };
    const result = await runTask(payload, mock.context());
    expect(mock.received[0]?.path).toBe('/v1/videos');
    expect(mock.received[0]?.fields).toEqual({
      model: SERVED_MODEL,
      prompt: '',
      image_reference: JSON.stringify({ image_url: IMAGE_URL }),
      audio_reference: JSON.stringify({ audio_url: AUDIO_URL }),
    });
    expect(result).toEqual({
      status: 'success',
      config_id: 'cfg-test',
      task: TASK,
      processed_at: expect.any(String),
      video_b64: expect.any(String),
      width: null,
      height: null,
      num_frames: null,
      fps: null,
      duration_seconds: null,
      inference_time_seconds: 0.5,
      seed_used: null,
      source_audio_url: AUDIO_URL,
      source_image_url: IMAGE_URL,
    });
  });

  it('adds the generation options that are given', async () => {
    mock = await startTestMockVllm({ omni: true });
    const options = {
      num_inference_steps: 10,
      guidance_scale: 4.5,
      seed: 5,
      num_frames: 50,
      fps: 25,
    };
    const payload = {
      task: TASK,
      audio_url: AUDIO_URL,
      image_url: IMAGE_URL,
      prompt: 'sing',
      ...options,
    };
    const result = await runTask(payload, mock.context());
    expect(mock.received[0]?.fields).toMatchObject({
      prompt: 'sing',
      num_inference_steps: '10',
      guidance_scale: '4.5',
      seed: '5',
      num_frames: '50',
      fps: '25',
    });
    expect(result).toMatchObject({ num_frames: 50, fps: 25, duration_seconds: 2, seed_used: 5 });
  });

  it.each([
    [{ image_url: IMAGE_URL }, 'invalid payload for fal/speech-to-video: audio_url: required'],
    [{ audio_url: AUDIO_URL }, 'invalid payload for fal/speech-to-video: image_url: required'],
    [
      { audio_url: AUDIO_URL, image_url: IMAGE_URL, seed: 'x' },
      /^invalid payload for fal\/speech-to-video: seed: /,
    ],
  ])('rejects the bad payload %j', async (payload, message) => {
    mock = await startTestMockVllm({ omni: true });
    await expect(runTask({ task: TASK, ...payload }, mock.context())).rejects.toThrow(message);
    expect(mock.received).toEqual([]);
  });
});
