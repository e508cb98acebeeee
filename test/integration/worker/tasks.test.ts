/**
 * Every task end to end: a client of the local queue (its OpenAI routes, or POST /jobs and
 * GET /jobs/{id}) → the queue → `casola-worker run` → the mock vLLM and back. One worker
 * serves the whole file.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { type MediaServer, silentWav, startMediaServer } from '../../../src/tools/demo/media.ts';
import { videoFile } from '../../../src/tools/mock-vllm/synth.ts';
import { eventIs, type LocalQueue } from '../../../src/tools/queue/index.ts';
import type { Json } from '../../support/json.ts';
import { getJson, postJson } from '../../support/queue-harness.ts';
import {
  CONFIG_ID,
  SERVED_MODEL,
  useWorkerHarness,
  type WorkerRun,
} from '../../support/worker-harness.ts';

const harness = useWorkerHarness('file');
let run: WorkerRun;
let media: MediaServer;

beforeAll(async () => {
  run = await harness.start();
  media = await startMediaServer();
  return () => media.close();
});

/** The `job_result` frame the worker sent for a job. */
function resultFrame(queue: LocalQueue, jobId: string): Json {
  const frame = queue.events.filter(
    eventIs('frame_in', (e) => e.frame.type === 'job_result' && e.frame.job_id === jobId),
  )[0]?.frame;
  expect(frame).toBeDefined();
  return frame;
}

/** The `job_result` of the only transient job created by the last request. */
function lastTransientResult(queue: LocalQueue): Json {
  const created = queue.events.filter(eventIs('job_created', (e) => e.mode === 'transient')).at(-1);
  return resultFrame(queue, created!.jobId).result;
}

/** vLLM's access line for `METHOD route`, as the worker logged it (source vllm). */
async function vllmAccessLine(route: string, method = 'POST'): Promise<Json> {
  // The line is JSON: the quote before the method is escaped.
  return JSON.parse(await run.worker.waitForLine(new RegExp(`\\\\"${method} ${route} HTTP`)));
}

/** The `progress` of every `job_progress` frame the worker sent for a job. */
function progressOf(queue: LocalQueue, jobId: string): unknown[] {
  return queue.events
    .filter(eventIs('frame_in', (e) => e.frame.type === 'job_progress' && e.frame.job_id === jobId))
    .map((e) => e.frame.progress);
}

/** The MP4 the mock vLLM-Omni makes for these form fields (src/tools/mock-vllm/endpoints/videos.ts). */
function engineVideo(prompt: string, seed: string, image = '', audio = ''): string {
  return videoFile(`${prompt}:${seed}:${image}:${audio}`).toString('base64');
}

/** POST /jobs, wait until the worker's outcome is accepted, then GET /jobs/{id}. */
async function persisted(payload: unknown): Promise<Json> {
  const created = await postJson(`${run.queue.httpUrl}/jobs`, { payload });
  expect(created.status).toBe(200);
  const id = (created.body as Json).id as string;
  expect(created.body).toMatchObject({
    id,
    status: expect.stringMatching(/^(pending|running)$/),
    payload,
  });
  await run.queue.events.waitFor(eventIs('outcome_accepted', (e) => e.jobId === id));
  const job = await getJson(`${run.queue.httpUrl}/jobs/${id}`);
  expect(job.status).toBe(200);
  return job.body;
}

const envelope = (task: string) => ({
  status: 'success',
  config_id: CONFIG_ID,
  task,
  processed_at: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/),
});

describe('casola-worker run: every task end to end', () => {
  it('chat completions over POST /v1/chat/completions', async () => {
    const answer = await postJson(`${run.queue.httpUrl}/v1/chat/completions`, {
      model: CONFIG_ID,
      messages: [{ role: 'user', content: 'hello through the queue' }],
      max_tokens: 32,
    });
    expect(answer.status).toBe(200);
    expect(answer.body).toMatchObject({
      model: SERVED_MODEL,
      choices: [
        {
          index: 0,
          message: { role: 'assistant', content: 'hello through the queue' },
          finish_reason: 'stop',
        },
      ],
      usage: { prompt_tokens: expect.any(Number), total_tokens: expect.any(Number) },
    });
    expect(lastTransientResult(run.queue)).toMatchObject(envelope('openai/chat-completion'));
    expect(await vllmAccessLine('/v1/chat/completions')).toMatchObject({
      source: 'vllm',
      level: 30,
    });
  });

  it('embeddings over POST /v1/embeddings', async () => {
    const answer = await postJson(`${run.queue.httpUrl}/v1/embeddings`, {
      model: CONFIG_ID,
      input: ['first', 'second'],
      dimensions: 8,
    });
    expect(answer.status).toBe(200);
    const body = answer.body as Json;
    expect(body.object).toBe('list');
    expect(body.data.map((d: Json) => [d.object, d.index, d.embedding.length])).toEqual([
      ['embedding', 0, 8],
      ['embedding', 1, 8],
    ]);
    expect(lastTransientResult(run.queue)).toMatchObject({
      ...envelope('openai/embeddings'),
      prompt_tokens: expect.any(Number),
      total_tokens: expect.any(Number),
    });
  });

  it('speech over POST /v1/audio/speech answers the audio bytes', async () => {
    const response = await fetch(`${run.queue.httpUrl}/v1/audio/speech`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: CONFIG_ID, input: 'say this', response_format: 'wav' }),
    });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('audio/wav');
    const bytes = Buffer.from(await response.arrayBuffer());
    expect(bytes.subarray(0, 4).toString('latin1')).toBe('RIFF');
    expect(lastTransientResult(run.queue)).toMatchObject({
      ...envelope('openai/audio-speech'),
      format: 'wav',
      voice: null,
      input_length: 'say this'.length,
    });
  });

  it('transcription over POST /v1/audio/transcriptions (multipart)', async () => {
    const audio = silentWav();
    const form = new FormData();
    form.append('model', CONFIG_ID);
    form.append('file', new Blob([audio], { type: 'audio/wav' }), 'clip.wav');
    const response = await fetch(`${run.queue.httpUrl}/v1/audio/transcriptions`, {
      method: 'POST',
      body: form,
    });
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({
      text: expect.stringMatching(new RegExp(`^mock transcription of ${audio.length} bytes`)),
    });
    expect(lastTransientResult(run.queue)).toMatchObject(envelope('openai/audio-transcription'));
  });

  it('text-to-video through POST /jobs: the engine job polled with progress frames, its video returned', async () => {
    const payload = {
      task: 'fal/text-to-video',
      prompt: 'a lighthouse at dusk',
      width: 320,
      height: 240,
      num_frames: 32,
      seed: 7,
    };
    const job = await persisted(payload);
    expect(job).toMatchObject({ status: 'completed', error: null });
    expect(job.result).toMatchObject({
      ...envelope('fal/text-to-video'),
      width: 320,
      height: 240,
      num_frames: 32,
      fps: 16,
      duration_seconds: 2,
      seed_used: 7,
      video_b64: engineVideo('a lighthouse at dusk', '7'),
    });
    expect(progressOf(run.queue, job.id)).toEqual([0, 0.33, 0.67]);
    expect(await vllmAccessLine('/v1/videos')).toMatchObject({ source: 'vllm', level: 30 });
    expect(await vllmAccessLine('/v1/videos/video_gen_\\w+', 'DELETE')).toMatchObject({
      source: 'vllm',
    });
  });

  it("image-to-video through POST /jobs, the image URL the engine's reference", async () => {
    const imageUrl = `${media.url}/image.png`;
    const job = await persisted({ task: 'fal/image-to-video', image_url: imageUrl });
    expect(job.status).toBe('completed');
    expect(job.result).toMatchObject({
      ...envelope('fal/image-to-video'),
      width: 1280,
      height: 720,
      num_frames: 81,
      fps: 16,
      video_b64: engineVideo('Animate this image naturally', '', imageUrl),
      source_image_url: imageUrl,
    });
    expect(progressOf(run.queue, job.id)).toEqual([0, 0.33, 0.67]);
  });

  it("speech-to-video through POST /jobs, image and audio the engine's references", async () => {
    const audioUrl = `${media.url}/speech.wav`;
    const imageUrl = `${media.url}/image.png`;
    const job = await persisted({
      task: 'fal/speech-to-video',
      audio_url: audioUrl,
      image_url: imageUrl,
    });
    expect(job.status).toBe('completed');
    expect(job.result).toMatchObject({
      ...envelope('fal/speech-to-video'),
      video_b64: engineVideo('', '', imageUrl, audioUrl),
      source_audio_url: audioUrl,
      source_image_url: imageUrl,
    });
    expect(progressOf(run.queue, job.id)).toEqual([0, 0.33, 0.67]);
  });

  it('a persisted chat job: POST /jobs, GET /jobs/{id}, its fence token on the result', async () => {
    const job = await persisted({
      task: 'openai/chat-completion',
      messages: [{ role: 'user', content: 'leased and fenced' }],
    });
    expect(job).toMatchObject({ status: 'completed', config_id: CONFIG_ID, error: null });
    expect(job.result.completion.choices[0].message.content).toBe('leased and fenced');
    expect(resultFrame(run.queue, job.id).fence_token).toBe(job.fence_token);
    expect(job.fence_token).toBeGreaterThan(0);
    expect((await getJson(`${run.queue.httpUrl}/jobs/no-such-job`)).status).toBe(404);
  });

  it('a task the worker does not serve answers 501 naming it', async () => {
    const answer = await postJson(`${run.queue.httpUrl}/v1/images/generations`, {
      prompt: 'a cat',
    });
    expect(answer.status).toBe(501);
    expect(answer.body).toEqual({
      detail: expect.stringMatching(
        /^no connected worker serves fal\/text-to-image: Unsupported task: 'fal\/text-to-image' \(config_id=.+\)$/,
      ),
    });
  });
});
