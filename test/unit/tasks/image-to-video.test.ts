import { afterEach, describe, expect, it } from 'vitest';
import { runTask } from '../../../src/tasks/index.ts';
import { type FileServer, startFileServer } from '../../support/file-server.ts';
import { SERVED_MODEL, startTestMockVllm, type TestMockVllm } from '../../support/mock-vllm.ts';

let mock: TestMockVllm;
let files: FileServer;
afterEach(async () => {
  await mock?.close();
  await files?.close();
});

const TASK = 'fal/image-to-video';
const png = Buffer.from('\x89PNG\r\n\x1a\n-image-bytes', 'latin1');

describe('fal/image-to-video', () => {
  it('downloads the image, sends it as a data URI with the default prompt, and names the source', async () => {
    mock = await startTestMockVllm();
    files = await startFileServer({ '/cat.png': { body: png, contentType: 'image/PNG; q=1' } });
    const imageUrl = `${files.url}/cat.png`;
    const result = await runTask({ task: TASK, image_url: imageUrl }, mock.context());
    expect(mock.received.map((request) => [request.path, request.body])).toEqual([
      [
        '/v1/videos/generations',
        {
          model: SERVED_MODEL,
          prompt: 'Animate this image naturally',
          n: 1,
          size: '1280x720',
          num_frames: 81,
          num_inference_steps: 50,
          guidance_scale: 7,
          fps: 16,
          response_format: 'b64_json',
          image: `data:image/png;base64,${png.toString('base64')}`,
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
      source_image_url: imageUrl,
    });
  });

  it.each([
    ['image/webp', 'image/webp'],
    ['image/gif', 'image/gif'],
    ['image/svg+xml', 'image/jpeg'],
    [undefined, 'image/jpeg'],
  ])('labels an image served as %s as %s', async (served, sent) => {
    mock = await startTestMockVllm();
    files = await startFileServer({
      '/i': { body: 'x', ...(served ? { contentType: served } : {}) },
    });
    await runTask({ task: TASK, image_url: `${files.url}/i`, prompt: 'spin' }, mock.context());
    expect(mock.received[0]?.body).toMatchObject({
      prompt: 'spin',
      image: `data:${sent};base64,eA==`,
    });
  });

  it.each([
    [{}, 'invalid payload for fal/image-to-video: image_url: required'],
    [{ image_url: 'file:///etc/passwd' }, 'image_url: expected an http or https URL'],
    [
      { image_url: 'http://127.0.0.1:1/i', width: -1 },
      /^invalid payload for fal\/image-to-video: width: /,
    ],
  ])('rejects the bad payload %j', async (payload, message) => {
    mock = await startTestMockVllm();
    await expect(runTask({ task: TASK, ...payload }, mock.context())).rejects.toThrow(message);
    expect(mock.received).toEqual([]);
  });
});
