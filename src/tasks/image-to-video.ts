/**
 * `fal/image-to-video`: `image_url` is downloaded (30 s) and sent as a data URI in the
 * generation request's `image` field; the rest is as text-to-video.
 */
import { z } from 'zod';
import { download, imageContentType } from '../http/download.ts';
import { defineTask, httpUrl } from './task.ts';
import { generateVideo, videoOptionsShape } from './video.ts';

const DOWNLOAD_TIMEOUT_MS = 30_000;
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
  schema,
  async run(payload, ctx) {
    const image = await download(payload.image_url, {
      field: 'image_url',
      timeoutMs: DOWNLOAD_TIMEOUT_MS,
      signal: ctx.signal,
    });
    const dataUri = `data:${imageContentType(image.contentType)};base64,${image.bytes.toString('base64')}`;
    const video = await generateVideo(ctx, { ...payload, image: dataUri });
    return { ...video, source_image_url: payload.image_url };
  },
});
