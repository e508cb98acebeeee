/** `fal/text-to-video`: a prompt and generation options to one base64 video. */
import { z } from 'zod';
import { defineTask } from './task.ts';
import { generateVideo, videoOptionsShape } from './video.ts';

const schema = z.looseObject({
  prompt: z.string().min(1, 'must not be empty'),
  ...videoOptionsShape,
});

export const textToVideoTask = defineTask({
  name: 'fal/text-to-video',
  schema,
  run: (payload, ctx) => generateVideo(ctx, payload),
});
