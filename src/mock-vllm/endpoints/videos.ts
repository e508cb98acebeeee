/**
 * The vLLM-Omni video endpoints: POST /v1/videos/generations (OpenAI-images-like `data`
 * list) and POST /videos/generations at the root (speech-to-video, a flat answer).
 */
import { z } from 'zod';
import { jsonReply, type MockReply, validationReply } from '../replies.ts';
import { seedOf, videoFile } from '../synth.ts';

const generationRequestSchema = z.looseObject({
  prompt: z.string().min(1),
  size: z
    .string()
    .regex(/^\d+x\d+$/, 'expected WIDTHxHEIGHT')
    .default('1280x720'),
  num_frames: z.int().positive().default(81),
  fps: z.number().positive().default(16),
  seed: z.int().nullish(),
  image: z.string().optional(),
});

export function videoGeneration(body: unknown): MockReply {
  const parsed = generationRequestSchema.safeParse(body);
  if (!parsed.success) return validationReply(parsed.error);
  const request = parsed.data;
  const [width, height] = request.size.split('x').map(Number);
  const seed = request.seed ?? seedOf(request.prompt);
  const video = videoFile(`${request.prompt}:${seed}:${request.image ?? ''}`);
  return jsonReply({
    created: Math.floor(Date.now() / 1000),
    data: [
      {
        b64_json: video.toString('base64'),
        seed,
        width,
        height,
        num_frames: request.num_frames,
        fps: request.fps,
      },
    ],
  });
}

const speechToVideoRequestSchema = z.looseObject({
  audio: z.string().startsWith('data:', 'expected a data URI'),
  image: z.string().startsWith('data:', 'expected a data URI'),
  prompt: z.string().optional(),
  num_frames: z.int().positive().default(81),
  fps: z.number().positive().default(25),
  seed: z.int().nullish(),
});

export function speechToVideo(body: unknown, startedAt: number): MockReply {
  const parsed = speechToVideoRequestSchema.safeParse(body);
  if (!parsed.success) return validationReply(parsed.error);
  const request = parsed.data;
  const seed = request.seed ?? seedOf(request.audio.slice(0, 256));
  return jsonReply({
    video_b64: videoFile(`${request.prompt ?? ''}:${seed}`).toString('base64'),
    width: 512,
    height: 512,
    num_frames: request.num_frames,
    fps: request.fps,
    duration_seconds: request.num_frames / request.fps,
    inference_time_seconds: (Date.now() - startedAt) / 1000,
    seed_used: seed,
  });
}
