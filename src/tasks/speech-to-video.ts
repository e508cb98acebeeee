/**
 * `fal/speech-to-video` (vLLM-Omni, e.g. Wan2.2-S2V): an image and an audio reference
 * (`image_reference={"image_url": ...}`, `audio_reference={"audio_url": ...}`, the
 * speech-to-video example of docs/serving/videos_api.md), which the engine fetches, and the
 * options the payload gives; the model's own defaults otherwise.
 */
import { z } from 'zod';
import { defineTask, httpUrl } from './task.ts';
import { generateVideo } from './video.ts';

const TIMEOUT_MS = 600_000;

const schema = z.looseObject({
  audio_url: httpUrl,
  image_url: httpUrl,
  prompt: z.string().optional(),
  num_inference_steps: z.int().positive().optional(),
  guidance_scale: z.number().optional(),
  seed: z.int().optional(),
  num_frames: z.int().positive().optional(),
  fps: z.int().positive().optional(),
});

/** `[width, height]` of the engine's `WIDTHxHEIGHT`, or nulls when it gave none. */
function dimensions(size: string | undefined): [number | null, number | null] {
  const match = /^(\d+)x(\d+)$/.exec(size ?? '');
  return match ? [Number(match[1]), Number(match[2])] : [null, null];
}

export const speechToVideoTask = defineTask({
  name: 'fal/speech-to-video',
  needs: 'omni',
  schema,
  async run(payload, ctx) {
    const { num_frames, fps } = payload;
    ctx.logger.info({ num_frames, fps }, 'speech to video');
    const generated = await generateVideo(
      ctx,
      {
        // vLLM-Omni requires a prompt; an empty one lets the audio lead.
        prompt: payload.prompt ?? '',
        image_reference: JSON.stringify({ image_url: payload.image_url }),
        audio_reference: JSON.stringify({ audio_url: payload.audio_url }),
        num_inference_steps: payload.num_inference_steps,
        guidance_scale: payload.guidance_scale,
        seed: payload.seed,
        num_frames,
        fps,
      },
      TIMEOUT_MS,
    );
    const [width, height] = dimensions(generated.size);
    return {
      video_b64: generated.video.toString('base64'),
      width,
      height,
      num_frames: num_frames ?? null,
      fps: fps ?? null,
      duration_seconds: num_frames !== undefined && fps !== undefined ? num_frames / fps : null,
      inference_time_seconds: generated.inferenceSeconds,
      seed_used: payload.seed ?? null,
      source_audio_url: payload.audio_url,
      source_image_url: payload.image_url,
    };
  },
});
