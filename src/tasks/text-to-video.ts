/** `fal/text-to-video` (vLLM-Omni): a prompt and generation options to one base64 video. */
import { z } from 'zod';
import { defineTask } from './task.ts';
import { generateFalVideo, videoOptionsShape } from './video-options.ts';

const schema = z.looseObject({
  prompt: z.string().min(1, 'must not be empty'),
  ...videoOptionsShape,
});

export const textToVideoTask = defineTask({
  name: 'fal/text-to-video',
  needs: 'omni',
  schema,
  run: (payload, ctx) => generateFalVideo(ctx, payload),
});
