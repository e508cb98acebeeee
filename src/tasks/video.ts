/**
 * What text-to-video and image-to-video share: the generation options with their
 * defaults, and one POST /v1/videos/generations answered with base64 video.
 */
import { z } from 'zod';
import { exactNumber } from '../http/exact-json.ts';
import { askEngine, present, type TaskContext, type TaskFields } from './task.ts';

const PATH = '/v1/videos/generations';
/** Diffusion is slow: a video may take up to 900 s. */
const TIMEOUT_MS = 900_000;

/** The generation options of the fal video tasks, with worker.md's defaults. */
export const videoOptionsShape = {
  negative_prompt: z.string().optional(),
  width: z.int().positive().default(1280),
  height: z.int().positive().default(720),
  num_frames: z.int().positive().default(81),
  num_inference_steps: z.int().positive().default(50),
  guidance_scale: z.number().default(7.0),
  fps: z.number().positive().default(16),
  seed: z.int().nullish(),
};

const videoOptionsSchema = z.object(videoOptionsShape);
export type VideoOptions = z.output<typeof videoOptionsSchema>;

const answerSchema = z.object({
  data: z
    // A seed vLLM drew itself may be 64 bits: kept exact (exact-json.ts).
    .array(z.looseObject({ b64_json: z.string(), seed: exactNumber.nullish() }))
    .min(1, 'no video in data'),
});

/** Generates one video; `image` is a data URI for image-to-video. */
export async function generateVideo(
  ctx: TaskContext,
  options: VideoOptions & { prompt: string; image?: string },
): Promise<TaskFields> {
  const { width, height, num_frames, fps } = options;
  const json = {
    model: ctx.engine.model,
    prompt: options.prompt,
    n: 1,
    size: `${width}x${height}`,
    num_frames,
    num_inference_steps: options.num_inference_steps,
    guidance_scale: options.guidance_scale,
    fps,
    response_format: 'b64_json',
    // An empty negative prompt means none, as in the reference worker.
    ...present({ negative_prompt: options.negative_prompt || undefined, seed: options.seed }),
    ...present({ image: options.image }),
  };
  ctx.logger.info({ size: json.size, num_frames, fps }, 'video generation');
  const started = performance.now();
  const answer = await askEngine(ctx, {
    path: PATH,
    json,
    timeoutMs: TIMEOUT_MS,
    schema: answerSchema,
  });
  const inferenceSeconds = (performance.now() - started) / 1000;
  const [video] = answer.data;
  return {
    video_b64: video?.b64_json,
    width,
    height,
    num_frames,
    fps,
    duration_seconds: num_frames / fps,
    inference_time_seconds: Math.round(inferenceSeconds * 1000) / 1000,
    seed_used: video?.seed ?? null,
  };
}
