/**
 * `fal/speech-to-video`: `audio_url` and `image_url` are downloaded (60 s each) and sent
 * as data URIs to POST /videos/generations at the server root, whose answer already has
 * the video's fields.
 */
import { z } from 'zod';
import { download } from '../http/download.ts';
import { exactNumber } from '../http/exact-json.ts';
import { askEngine, defineTask, httpUrl, present, type TaskContext } from './task.ts';

const PATH = '/videos/generations';
const TIMEOUT_MS = 600_000;
const DOWNLOAD_TIMEOUT_MS = 60_000;

const schema = z.looseObject({
  audio_url: httpUrl,
  image_url: httpUrl,
  prompt: z.string().nullish(),
  num_inference_steps: z.int().positive().nullish(),
  guidance_scale: z.number().nullish(),
  seed: z.int().nullish(),
  num_frames: z.int().positive().nullish(),
  fps: z.number().positive().nullish(),
});

const answerSchema = z.looseObject({
  video_b64: z.string(),
  width: z.number(),
  height: z.number(),
  num_frames: z.number(),
  fps: z.number(),
  duration_seconds: z.number(),
  inference_time_seconds: z.number().nullish(),
  seed_used: exactNumber.nullish(),
});

async function base64Of(url: string, field: string, ctx: TaskContext): Promise<string> {
  const file = await download(url, { field, timeoutMs: DOWNLOAD_TIMEOUT_MS, signal: ctx.signal });
  return file.bytes.toString('base64');
}

export const speechToVideoTask = defineTask({
  name: 'fal/speech-to-video',
  schema,
  async run(payload, ctx) {
    const audio = await base64Of(payload.audio_url, 'audio_url', ctx);
    const image = await base64Of(payload.image_url, 'image_url', ctx);
    const json = {
      model: ctx.engine.model,
      audio: `data:audio/wav;base64,${audio}`,
      image: `data:image/jpeg;base64,${image}`,
      ...present({
        prompt: payload.prompt,
        num_inference_steps: payload.num_inference_steps,
        guidance_scale: payload.guidance_scale,
        seed: payload.seed,
        num_frames: payload.num_frames,
        fps: payload.fps,
      }),
    };
    ctx.logger.info({ audio_bytes: audio.length, image_bytes: image.length }, 'speech to video');
    const answer = await askEngine(ctx, {
      path: PATH,
      json,
      timeoutMs: TIMEOUT_MS,
      schema: answerSchema,
    });
    return {
      video_b64: answer.video_b64,
      width: answer.width,
      height: answer.height,
      num_frames: answer.num_frames,
      fps: answer.fps,
      duration_seconds: answer.duration_seconds,
      ...present({
        inference_time_seconds: answer.inference_time_seconds,
        seed_used: answer.seed_used,
      }),
      source_audio_url: payload.audio_url,
      source_image_url: payload.image_url,
    };
  },
});
