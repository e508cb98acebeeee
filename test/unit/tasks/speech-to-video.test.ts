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

const TASK = 'fal/speech-to-video';
const audio = Buffer.from('RIFF-speech');
const image = Buffer.from('jpeg-face');

async function serveInputs() {
  files = await startFileServer({
    '/speech.wav': { body: audio, contentType: 'audio/wav' },
    '/face.png': { body: image, contentType: 'image/png' },
  });
  return { audio_url: `${files.url}/speech.wav`, image_url: `${files.url}/face.png` };
}

describe('fal/speech-to-video', () => {
  it('sends both downloads as data URIs to /videos/generations at the root', async () => {
    mock = await startTestMockVllm();
    const urls = await serveInputs();
    const result = await runTask({ task: TASK, ...urls }, mock.context());
    expect(files.requests.map((request) => request.path)).toEqual(['/speech.wav', '/face.png']);
    expect(mock.received.map((request) => [request.path, request.body])).toEqual([
      [
        '/videos/generations',
        {
          model: SERVED_MODEL,
          audio: `data:audio/wav;base64,${audio.toString('base64')}`,
          image: `data:image/jpeg;base64,${image.toString('base64')}`,
        },
      ],
    ]);
    expect(result).toEqual({
      status: 'success',
      config_id: 'cfg-test',
      task: TASK,
      processed_at: expect.any(String),
      video_b64: expect.any(String),
      width: 512,
      height: 512,
      num_frames: 81,
      fps: 25,
      duration_seconds: 81 / 25,
      inference_time_seconds: expect.any(Number),
      seed_used: expect.any(Number),
      source_audio_url: urls.audio_url,
      source_image_url: urls.image_url,
    });
  });

  it('adds the generation options that are given', async () => {
    mock = await startTestMockVllm();
    const urls = await serveInputs();
    const options = {
      prompt: 'talk',
      num_inference_steps: 10,
      guidance_scale: 4.5,
      seed: 5,
      num_frames: 50,
      fps: 25,
    };
    const result = await runTask({ task: TASK, ...urls, ...options }, mock.context());
    expect(mock.received[0]?.body).toEqual({
      model: SERVED_MODEL,
      audio: `data:audio/wav;base64,${audio.toString('base64')}`,
      image: `data:image/jpeg;base64,${image.toString('base64')}`,
      ...options,
    });
    expect(result).toMatchObject({ num_frames: 50, fps: 25, duration_seconds: 2, seed_used: 5 });
  });

  it.each([
    [
      { image_url: 'http://127.0.0.1:1/i' },
      'invalid payload for fal/speech-to-video: audio_url: required',
    ],
    [
      { audio_url: 'http://127.0.0.1:1/a' },
      'invalid payload for fal/speech-to-video: image_url: required',
    ],
    [
      { audio_url: 'http://127.0.0.1:1/a', image_url: 'http://127.0.0.1:1/i', seed: 'x' },
      /^invalid payload for fal\/speech-to-video: seed: /,
    ],
  ])('rejects the bad payload %j', async (payload, message) => {
    mock = await startTestMockVllm();
    await expect(runTask({ task: TASK, ...payload }, mock.context())).rejects.toThrow(message);
    expect(mock.received).toEqual([]);
  });
});
