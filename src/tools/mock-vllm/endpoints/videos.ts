/**
 * vLLM-Omni's video API (docs/serving/videos_api.md, vllm_omni/entrypoints/openai/
 * protocol/videos.py and serving_video.py, vllm-project/vllm-omni at 0131cb5): POST /v1/videos
 * (multipart) creates a job that is `queued`, then `in_progress` with a rising `progress` on
 * each status poll (held there while `responseDelayMs` holds it), then `completed`; GET
 * /v1/videos/{id}/content is its MP4; DELETE /v1/videos/{id} removes it; POST /v1/videos/sync
 * answers the MP4 at once.
 */
import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { errorReply, jsonReply, type MockReply, validationReply } from '../replies.ts';
import type { FormFields } from '../request.ts';
import type { MockState } from '../state.ts';
import { videoFile } from '../synth.ts';

/** Status polls from `in_progress` to `completed`. */
const POLLS = 3;

const positiveInt = z.coerce.number().int().min(1);
const jsonReference = (key: string) =>
  z
    .string()
    .transform((text, context) => {
      try {
        return JSON.parse(text) as unknown;
      } catch {
        context.issues.push({ code: 'custom', message: 'Invalid JSON', input: text });
        return z.NEVER;
      }
    })
    .pipe(z.strictObject({ [key]: z.string() }));

/** VideoGenerationRequest's form fields the mock checks, with its bounds. */
const formSchema = z.looseObject({
  prompt: z.string(),
  model: z.string().optional(),
  size: z
    .string()
    .regex(/^\d+x\d+$/)
    .optional(),
  width: positiveInt.optional(),
  height: positiveInt.optional(),
  num_frames: positiveInt.optional(),
  fps: positiveInt.optional(),
  num_inference_steps: positiveInt.max(200).optional(),
  guidance_scale: z.coerce.number().min(0).max(20).optional(),
  seed: z.coerce.number().int().optional(),
  negative_prompt: z.string().optional(),
  image_reference: jsonReference('image_url').optional(),
  audio_reference: jsonReference('audio_url').optional(),
});

export type VideoJob = {
  id: string;
  prompt: string;
  size: string | null;
  createdAt: number;
  polls: number;
  video: Buffer;
  /** Resolved once `responseDelayMs` has passed (or POST /mock/release). */
  ready: boolean;
};

function record(job: VideoJob, model: string): unknown {
  const status =
    job.polls === 0 ? 'queued' : job.polls >= POLLS && job.ready ? 'completed' : 'in_progress';
  const progress =
    status === 'completed' ? 100 : Math.min(90, Math.round((job.polls * 100) / POLLS));
  return {
    id: job.id,
    object: 'video',
    model,
    prompt: job.prompt,
    status,
    progress,
    size: job.size,
    seconds: '4',
    quality: 'default',
    created_at: job.createdAt,
    completed_at: status === 'completed' ? Math.floor(Date.now() / 1000) : null,
    error: null,
    media_type: 'video/mp4',
    inference_time_s: status === 'completed' ? 0.5 : null,
  };
}

function parseForm(fields: FormFields | undefined) {
  if (fields === undefined)
    return { error: errorReply(400, 'expected a multipart/form-data body') };
  const parsed = formSchema.safeParse(fields);
  if (!parsed.success) return { error: validationReply(parsed.error) };
  return { form: parsed.data };
}

function videoOf(form: z.output<typeof formSchema>): Buffer {
  const references = `${form.image_reference?.image_url ?? ''}:${form.audio_reference?.audio_url ?? ''}`;
  return videoFile(`${form.prompt}:${form.seed ?? ''}:${references}`);
}

/** POST /v1/videos: a new job; `release` marks it ready once the response delay has passed. */
export function createVideo(
  state: MockState,
  fields: FormFields | undefined,
  release: Promise<void>,
): MockReply {
  const { form, error } = parseForm(fields);
  if (error) return error;
  const size = form.size ?? (form.width && form.height ? `${form.width}x${form.height}` : null);
  const job: VideoJob = {
    id: `video_gen_${randomUUID().replaceAll('-', '')}`,
    prompt: form.prompt,
    size,
    createdAt: Math.floor(Date.now() / 1000),
    polls: 0,
    video: videoOf(form),
    ready: false,
  };
  state.videos.set(job.id, job);
  void release.then(() => {
    job.ready = true;
  });
  return jsonReply(record(job, state.options.servedModelName));
}

/** POST /v1/videos/sync: the MP4 bytes. */
export function createVideoSync(fields: FormFields | undefined): MockReply {
  const { form, error } = parseForm(fields);
  if (error) return error;
  return { status: 200, contentType: 'video/mp4', body: videoOf(form) };
}

const notFound = (id: string) => errorReply(404, `Video ${id} not found`);

/** GET, DELETE /v1/videos/{id} and GET /v1/videos/{id}/content. */
export function videoJobRoute(state: MockState, method: string, path: string): MockReply {
  const [, id = '', content] = /^\/v1\/videos\/([^/]+)(\/content)?$/.exec(path) ?? [];
  const job = state.videos.get(decodeURIComponent(id));
  if (job === undefined) return notFound(id);
  if (method === 'DELETE' && content === undefined) {
    state.videos.delete(job.id);
    return jsonReply({ id: job.id, deleted: true, object: 'video.deleted' });
  }
  if (method !== 'GET') return jsonReply({ detail: 'Method Not Allowed' }, 405);
  if (content === undefined) {
    job.polls += 1;
    return jsonReply(record(job, state.options.servedModelName));
  }
  if (job.polls < POLLS || !job.ready) {
    return errorReply(400, `Video ${job.id} is not completed yet`);
  }
  return { status: 200, contentType: 'video/mp4', body: job.video };
}
