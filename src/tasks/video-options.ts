/**
 * What text-to-video and image-to-video share: the generation options with worker.md's
 * defaults, the form fields vLLM-Omni takes for them, and the Casola result of the reference
 * worker (`video_b64`, `width`, `height`, `num_frames`, `fps`, `duration_seconds`,
 * `inference_time_seconds`, `seed_used` as requested).
 */
import { z } from 'zod';
import type { TaskContext, TaskFields } from './task.ts';
import { generateVideo, type VideoFields } from './video.ts';

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
  // vLLM-Omni takes whole frames per second (VideoGenerationRequest.fps: int).
  fps: z.int().positive().default(16),
  seed: z.int().nullish(),
};

const videoOptionsSchema = z.object(videoOptionsShape);
export type VideoOptions = z.output<typeof videoOptionsSchema>;

/** Generates one video from `options` plus `extra` form fields (the image reference). */
export async function generateFalVideo(
  ctx: TaskContext,
  options: VideoOptions & { prompt: string },
  extra: VideoFields = {},
): Promise<TaskFields> {
  const { width, height, num_frames, fps } = options;
  ctx.logger.info({ width, height, num_frames, fps }, 'video generation');
  const generated = await generateVideo(
    ctx,
    {
      prompt: options.prompt,
      width,
      height,
      num_frames,
      fps,
      num_inference_steps: options.num_inference_steps,
      guidance_scale: options.guidance_scale,
      // An empty negative prompt means none, as in the reference worker.
      negative_prompt: options.negative_prompt || undefined,
      seed: options.seed ?? undefined,
      ...extra,
    },
    TIMEOUT_MS,
  );
  return {
    video_b64: generated.video.toString('base64'),
    width,
    height,
    num_frames,
    fps,
    duration_seconds: num_frames / fps,
    inference_time_seconds: generated.inferenceSeconds,
    seed_used: options.seed ?? null,
  };
}
