/**
 * `fal/image-to-video` (vLLM-Omni): `image_url` goes to the engine as its image reference
 * (`image_reference={"image_url": ...}`, docs/serving/videos_api.md), which the engine fetches;
 * the rest is as text-to-video.
 */
import { z } from 'zod';
import { defineTask, httpUrl } from './task.ts';
import { generateFalVideo, videoOptionsShape } from './video-options.ts';

const DEFAULT_PROMPT = 'Animate this image naturally';

const schema = z.looseObject({
  image_url: httpUrl,
  // An empty prompt means the default, as in the reference worker.
  prompt: z
    .string()
    .optional()
    .transform((prompt) => prompt || DEFAULT_PROMPT),
  ...videoOptionsShape,
});

export const imageToVideoTask = defineTask({
  name: 'fal/image-to-video',
  needs: 'omni',
  schema,
  async run(payload, ctx) {
    const image_reference = JSON.stringify({ image_url: payload.image_url });
    const video = await generateFalVideo(ctx, payload, { image_reference });
    return { ...video, source_image_url: payload.image_url };
  },
});
