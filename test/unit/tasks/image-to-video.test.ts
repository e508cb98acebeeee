import { afterEach, describe, expect, it } from 'vitest';
import { runTask } from '../../../src/tasks/index.ts';
import {
  DEFAULT_VIDEO_FORM,
  startTestMockVllm,
  type TestMockVllm,
} from '../../support/mock-vllm.ts';

let mock: TestMockVllm;
afterEach(() => mock?.close());

const TASK = 'fal/image-to-video';
const IMAGE_URL = 'https://images.example.com/cat.png?sig=1';

describe('fal/image-to-video', () => {
  it("passes image_url as vLLM-Omni's image reference, with the default prompt, and names the source", async () => {
    mock = await startTestMockVllm({ omni: true });
    const result = await runTask({ task: TASK, image_url: IMAGE_URL }, mock.context());
    expect(mock.received[0]?.path).toBe('/v1/videos');
    expect(mock.received[0]?.fields).toEqual({
      ...DEFAULT_VIDEO_FORM,
      prompt: 'Animate this image naturally',
      image_reference: JSON.stringify({ image_url: IMAGE_URL }),
    });
    expect(result).toMatchObject({
      status: 'success',
      task: TASK,
      video_b64: expect.any(String),
      width: 1280,
      height: 720,
      seed_used: null,
      source_image_url: IMAGE_URL,
    });
  });

  it('uses the prompt given', async () => {
    mock = await startTestMockVllm({ omni: true });
    await runTask({ task: TASK, image_url: IMAGE_URL, prompt: 'spin' }, mock.context());
    expect(mock.received[0]?.fields).toMatchObject({ prompt: 'spin' });
  });

  it.each([
    [{}, 'invalid payload for fal/image-to-video: image_url: required'],
    [{ image_url: 'file:///etc/passwd' }, 'image_url: expected an http or https URL'],
    [
      { image_url: 'http://127.0.0.1:1/i', width: -1 },
      /^invalid payload for fal\/image-to-video: width: /,
    ],
  ])('rejects the bad payload %j', async (payload, message) => {
    mock = await startTestMockVllm({ omni: true });
    await expect(runTask({ task: TASK, ...payload }, mock.context())).rejects.toThrow(message);
    expect(mock.received).toEqual([]);
  });
});
