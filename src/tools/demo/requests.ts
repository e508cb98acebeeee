/**
 * One request of each task, as a client of the queue would send it: the OpenAI routes where
 * they exist, POST /jobs (then GET /jobs/{id}) for the video tasks and a persisted chat job.
 */
import { silentWav } from './media.ts';

export type DemoRequest = {
  task: string;
  route: string;
  /** Sends the request; resolves with a one-line description of what came back. */
  send(queueUrl: string, mediaUrl: string): Promise<string>;
};

export type DemoOutcome = { task: string; route: string; ok: boolean; ms: number; summary: string };

const MODEL = 'demo';

/** One HTTP exchange with the queue; anything but 200 is an error carrying the body. */
async function call(url: string, init?: RequestInit) {
  const response = await fetch(url, init);
  const type = response.headers.get('content-type') ?? '';
  const body: unknown = type.includes('json')
    ? await response.json()
    : await response.arrayBuffer();
  if (response.status !== 200) throw new Error(`HTTP ${response.status}: ${JSON.stringify(body)}`);
  return { body, type };
}

const postJson = (url: string, body: unknown) =>
  call(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });

/** POST /jobs, then GET /jobs/{id} until it completes or fails. */
async function persisted(queueUrl: string, payload: unknown): Promise<Record<string, unknown>> {
  const { body } = await postJson(`${queueUrl}/jobs`, { payload });
  const id = (body as { id: string }).id;
  for (;;) {
    const job = (await call(`${queueUrl}/jobs/${id}`)).body as {
      status: string;
      result: Record<string, unknown>;
      error: string;
    };
    if (job.status === 'completed') return job.result;
    if (job.status === 'failed') throw new Error(job.error);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** A video result in a line, naming only what it holds (speech-to-video may give no size). */
const video = (result: Record<string, unknown>) =>
  [
    result.width != null ? `${result.width}x${result.height}` : 'size not given',
    result.num_frames != null ? `${result.num_frames} frames at ${result.fps} fps` : undefined,
    `${String(result.video_b64).length} base64 chars`,
    result.seed_used != null ? `seed ${result.seed_used}` : undefined,
  ]
    .filter((part) => part !== undefined)
    .join(', ');

export const DEMO_REQUESTS: DemoRequest[] = [
  {
    task: 'openai/chat-completion',
    route: 'POST /v1/chat/completions',
    async send(queueUrl) {
      const { body } = await postJson(`${queueUrl}/v1/chat/completions`, {
        model: MODEL,
        messages: [{ role: 'user', content: 'Say hello to the Casola queue' }],
        max_tokens: 16,
      });
      const completion = body as {
        choices: { message: { content: string } }[];
        usage: { total_tokens: number };
      };
      return `"${completion.choices[0]?.message.content}" (${completion.usage.total_tokens} tokens)`;
    },
  },
  {
    task: 'openai/embeddings',
    route: 'POST /v1/embeddings',
    async send(queueUrl) {
      const { body } = await postJson(`${queueUrl}/v1/embeddings`, {
        model: MODEL,
        input: ['first sentence', 'second sentence'],
      });
      const list = body as { data: { embedding: number[] }[] };
      return `${list.data.length} vectors of ${list.data[0]?.embedding.length} dimensions`;
    },
  },
  {
    task: 'openai/audio-speech',
    route: 'POST /v1/audio/speech',
    async send(queueUrl) {
      const { body, type } = await postJson(`${queueUrl}/v1/audio/speech`, {
        model: MODEL,
        input: 'Hello from the demo',
        response_format: 'wav',
      });
      return `${(body as ArrayBuffer).byteLength} bytes of ${type}`;
    },
  },
  {
    task: 'openai/audio-transcription',
    route: 'POST /v1/audio/transcriptions',
    async send(queueUrl) {
      const form = new FormData();
      form.append('model', MODEL);
      form.append('file', new Blob([silentWav()], { type: 'audio/wav' }), 'speech.wav');
      const { body } = await call(`${queueUrl}/v1/audio/transcriptions`, {
        method: 'POST',
        body: form,
      });
      return `"${(body as { text: string }).text}"`;
    },
  },
  {
    task: 'fal/text-to-video',
    route: 'POST /jobs',
    async send(queueUrl) {
      const result = await persisted(queueUrl, {
        task: 'fal/text-to-video',
        prompt: 'a lighthouse at dusk',
        width: 320,
        height: 240,
        num_frames: 16,
      });
      return video(result);
    },
  },
  {
    task: 'fal/image-to-video',
    route: 'POST /jobs',
    async send(queueUrl, mediaUrl) {
      return video(
        await persisted(queueUrl, {
          task: 'fal/image-to-video',
          image_url: `${mediaUrl}/image.png`,
        }),
      );
    },
  },
  {
    task: 'fal/speech-to-video',
    route: 'POST /jobs',
    async send(queueUrl, mediaUrl) {
      return video(
        await persisted(queueUrl, {
          task: 'fal/speech-to-video',
          audio_url: `${mediaUrl}/speech.wav`,
          image_url: `${mediaUrl}/image.png`,
        }),
      );
    },
  },
  {
    task: 'openai/chat-completion (persisted)',
    route: 'POST /jobs',
    async send(queueUrl) {
      const result = await persisted(queueUrl, {
        task: 'openai/chat-completion',
        messages: [{ role: 'user', content: 'A persisted job, leased and fenced' }],
      });
      const completion = result.completion as { choices: { message: { content: string } }[] };
      return `"${completion.choices[0]?.message.content}"`;
    },
  },
];

/** Sends every request one after another, timing each; failures are reported, not thrown. */
export async function sendAll(queueUrl: string, mediaUrl: string): Promise<DemoOutcome[]> {
  const outcomes: DemoOutcome[] = [];
  for (const { task, route, send } of DEMO_REQUESTS) {
    const started = performance.now();
    try {
      const summary = await send(queueUrl, mediaUrl);
      outcomes.push({ task, route, ok: true, ms: performance.now() - started, summary });
    } catch (error) {
      outcomes.push({
        task,
        route,
        ok: false,
        ms: performance.now() - started,
        summary: String(error),
      });
    }
  }
  return outcomes;
}
