/**
 * vLLM-Omni's video API (docs/serving/videos_api.md and
 * vllm_omni/entrypoints/openai/protocol/videos.py, vllm-project/vllm-omni at 0131cb5): POST
 * /v1/videos (multipart) creates a job, GET /v1/videos/{id} says its status and progress
 * (reported as the job's progress, which also renews a persisted job's lease), GET
 * /v1/videos/{id}/content is the MP4, and DELETE /v1/videos/{id} aborts it and frees its
 * storage: done when the job is revoked, times out or has its video.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { FormData } from 'undici';
import { z } from 'zod';
import { TaskError } from '../errors.ts';
import { callEngine } from '../http/engine-agent.ts';
import { jsonOrText, parseEngineAnswer, type TaskContext } from './task.ts';

const PATH = '/v1/videos';
/** The first status poll after this long (ms); each next one 1.5 times later, at most 5 s. */
const FIRST_POLL_MS = 200;
const MAX_POLL_MS = 5_000;
/** One status poll or delete may take this long (ms). */
const CALL_TIMEOUT_MS = 30_000;

/** What vLLM-Omni's VideoResponse carries that the worker reads. */
const jobSchema = z.looseObject({
  id: z.string(),
  status: z.enum(['queued', 'in_progress', 'completed', 'failed']),
  progress: z.number().default(0),
  size: z.string().nullish(),
  inference_time_s: z.number().nullish(),
  error: z.looseObject({ message: z.string() }).nullish(),
});
type VideoJob = z.output<typeof jobSchema>;

/** The form fields of one video, as vLLM-Omni names them; undefined ones are not sent. */
export type VideoFields = Record<string, string | number | undefined>;

export type GeneratedVideo = {
  video: Buffer;
  /** `WIDTHxHEIGHT` as the engine reports it, when it does. */
  size: string | undefined;
  /** The engine's inference time, or the time the worker waited, in seconds. */
  inferenceSeconds: number;
};

function formOf(ctx: TaskContext, fields: VideoFields): FormData {
  const form = new FormData();
  form.append('model', ctx.engine.model);
  for (const [name, value] of Object.entries(fields)) {
    if (value !== undefined) form.append(name, String(value));
  }
  return form;
}

async function getJob(ctx: TaskContext, id: string): Promise<VideoJob> {
  const path = `${PATH}/${encodeURIComponent(id)}`;
  const reply = await callEngine(ctx.engine, {
    method: 'GET',
    path,
    timeoutMs: CALL_TIMEOUT_MS,
    signal: ctx.signal,
  });
  return parseEngineAnswer(path, jobSchema, jsonOrText(reply.body), 'GET');
}

/** Polls until the job completes (or throws: failed, aborted, out of time), reporting progress. */
async function awaitCompletion(ctx: TaskContext, first: VideoJob, deadline: number) {
  let job = first;
  let waitMs = FIRST_POLL_MS;
  let reported: number | undefined;
  while (job.status !== 'completed') {
    if (job.status === 'failed') {
      const why = job.error?.message ?? 'no reason given';
      throw new TaskError('engine_error', `vLLM-Omni failed video ${job.id}: ${why}`);
    }
    if (job.progress !== reported) {
      reported = job.progress;
      ctx.progress?.(job.progress / 100, `vLLM-Omni video ${job.status}, ${job.progress}%`);
    }
    if (Date.now() + waitMs > deadline) {
      const seconds = Math.round((deadline - Date.now()) / 1000);
      throw new TaskError(
        'timeout',
        `vLLM-Omni did not finish video ${job.id} in time (${seconds} s left)`,
      );
    }
    await sleep(waitMs, undefined, { signal: ctx.signal });
    waitMs = Math.min(waitMs * 1.5, MAX_POLL_MS);
    job = await getJob(ctx, job.id);
  }
  return job;
}

/** Deletes the engine's job (aborting it if it still runs); a failure is logged, not thrown. */
async function deleteJob(ctx: TaskContext, id: string): Promise<void> {
  try {
    await callEngine(ctx.engine, {
      method: 'DELETE',
      path: `${PATH}/${encodeURIComponent(id)}`,
      timeoutMs: CALL_TIMEOUT_MS,
      // The job's own signal may be the reason for the delete.
      signal: new AbortController().signal,
    });
  } catch (error) {
    ctx.logger.warn({ video_id: id, err: error }, 'could not delete the vLLM-Omni video job');
  }
}

/** `promise`, or the signal's reason as soon as `signal` aborts (the promise goes on). */
function untilAborted<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    if (signal.aborted) return onAbort();
    signal.addEventListener('abort', onAbort, { once: true });
    void promise.then(resolve, reject).finally(() => {
      signal.removeEventListener('abort', onAbort);
    });
  });
}

/**
 * Creates the engine's job. The POST goes without the job's signal, as aborting it could leave
 * a job the engine had created with an id that never came back; and it is never sent twice
 * (a second copy would be a job no one knows of). A job revoked meanwhile stops waiting at
 * once, and the id the POST's answer then brings is deleted. A POST that fails without an
 * answer (its own timeout, vLLM gone) brings no id, so there is nothing to delete.
 */
async function createJob(ctx: TaskContext, fields: VideoFields): Promise<VideoJob> {
  const creating = callEngine(ctx.engine, {
    method: 'POST',
    path: PATH,
    form: formOf(ctx, fields),
    timeoutMs: CALL_TIMEOUT_MS,
    signal: new AbortController().signal,
    sendOnce: true,
  }).then((created) => parseEngineAnswer(PATH, jobSchema, jsonOrText(created.body)));
  try {
    return await untilAborted(creating, ctx.signal);
  } catch (error) {
    if (!ctx.signal.aborted) throw error;
    void creating.then(
      (job) => deleteJob(ctx, job.id),
      () => undefined, // no answer: no id, so no job to delete
    );
    throw new TaskError('aborted', 'job aborted while vLLM-Omni created its video', {
      cause: error,
    });
  }
}

/** Generates one video with vLLM-Omni; `timeoutMs` bounds it from creation to content. */
export async function generateVideo(
  ctx: TaskContext,
  fields: VideoFields,
  timeoutMs: number,
): Promise<GeneratedVideo> {
  const started = performance.now();
  const deadline = Date.now() + timeoutMs;
  const job = await createJob(ctx, fields);
  ctx.logger.info({ video_id: job.id }, 'vLLM-Omni video job created');
  try {
    const done = await awaitCompletion(ctx, job, deadline);
    const content = await callEngine(ctx.engine, {
      method: 'GET',
      path: `${PATH}/${encodeURIComponent(job.id)}/content`,
      timeoutMs: Math.max(deadline - Date.now(), CALL_TIMEOUT_MS),
      signal: ctx.signal,
    });
    const waited = (performance.now() - started) / 1000;
    return {
      video: content.body,
      size: done.size ?? job.size ?? undefined,
      inferenceSeconds: Math.round((done.inference_time_s ?? waited) * 1000) / 1000,
    };
  } catch (error) {
    if (ctx.signal.aborted) {
      throw new TaskError('aborted', `job aborted while vLLM-Omni made video ${job.id}`, {
        cause: error,
      });
    }
    throw error;
  } finally {
    await deleteJob(ctx, job.id);
  }
}
