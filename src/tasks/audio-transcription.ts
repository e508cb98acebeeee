/**
 * `openai/audio-transcription`: the audio comes inline (`audio_base64`) or from
 * `audio_url` (downloaded, 30 s; the URL wins when both are given) and goes to
 * POST /v1/audio/transcriptions as a multipart file named after its detected format.
 */
import { FormData } from 'undici';
import { z } from 'zod';
import { TaskError } from '../errors.ts';
import { download } from '../http/download.ts';
import { callEngine, type EngineReply } from '../http/engine-agent.ts';
import {
  defineTask,
  httpUrl,
  parseEngineAnswer,
  present,
  type TaskContext,
  throwIfEngineError,
} from './task.ts';

const PATH = '/v1/audio/transcriptions';
/** The OpenAI client's default: vLLM answers or the job fails after 600 s. */
const TIMEOUT_MS = 600_000;
const DOWNLOAD_TIMEOUT_MS = 30_000;

const TRANSCRIPT_FORMATS = ['json', 'text', 'verbose_json'] as const;

const schema = z
  .looseObject({
    // Line breaks are allowed, as Python's base64.encodebytes and the base64 tool write them.
    audio_base64: z
      .string()
      .transform((text) => text.replace(/\s+/g, ''))
      .pipe(z.base64().min(1))
      .optional(),
    audio_url: httpUrl.optional(),
    // vLLM refuses srt and vtt ("Currently only support response_format`text`, `json` or
    // `verbose_json`", vllm/entrypoints/openai/speech_to_text.py at 01d83a8).
    response_format: z
      .enum(TRANSCRIPT_FORMATS, { error: 'vLLM serves json, text or verbose_json' })
      .default('json'),
    language: z.string().optional(),
    prompt: z.string().optional(),
    temperature: z.number().min(0).optional(),
  })
  .refine((payload) => payload.audio_base64 !== undefined || payload.audio_url !== undefined, {
    message: 'audio_base64 or audio_url is required',
  });

type Payload = z.output<typeof schema>;

const EBML = Buffer.from([0x1a, 0x45, 0xdf, 0xa3]);

/** File name and media type from the first bytes, as libsndfile and ffmpeg would see them. */
export function audioFileOf(bytes: Buffer): { filename: string; type: string } {
  const ascii = (start: number, end: number) => bytes.toString('latin1', start, end);
  if (ascii(0, 4) === 'RIFF') return { filename: 'audio.wav', type: 'audio/wav' };
  if (ascii(0, 4) === 'fLaC') return { filename: 'audio.flac', type: 'audio/flac' };
  if (ascii(0, 4) === 'OggS') return { filename: 'audio.ogg', type: 'audio/ogg' };
  if (ascii(0, 3) === 'ID3' || (bytes[0] === 0xff && ((bytes[1] ?? 0) & 0xe0) === 0xe0)) {
    return { filename: 'audio.mp3', type: 'audio/mpeg' };
  }
  if (bytes.subarray(0, 4).equals(EBML)) return { filename: 'audio.webm', type: 'audio/webm' };
  if (ascii(4, 8) === 'ftyp') return { filename: 'audio.m4a', type: 'audio/mp4' };
  return { filename: 'audio.bin', type: 'application/octet-stream' };
}

async function audioBytes(payload: Payload, ctx: TaskContext): Promise<Buffer> {
  if (payload.audio_url === undefined) return Buffer.from(payload.audio_base64 ?? '', 'base64');
  const downloaded = await download(payload.audio_url, {
    field: 'audio_url',
    timeoutMs: DOWNLOAD_TIMEOUT_MS,
    signal: ctx.signal,
  });
  return downloaded.bytes;
}

/** `verbose_json` answers carry the duration as a string (`duration=str(...)`, speech_to_text.py at 01d83a8). */
const seconds = z.union([
  z.number(),
  z
    .string()
    .regex(/^\d+(\.\d+)?$/)
    .transform(Number),
]);

const jsonAnswerSchema = z.looseObject({
  text: z.string(),
  language: z.string().nullish(),
  duration: seconds.nullish(),
  segments: z.array(z.unknown()).nullish(),
});

/** JSON answers carry fields; a text answer is the text itself. */
function transcriptOf(reply: EngineReply): Record<string, unknown> {
  if (!reply.contentType.includes('json')) return { text: reply.body.toString('utf8') };
  let body: unknown;
  try {
    body = JSON.parse(reply.body.toString('utf8'));
  } catch (cause) {
    const message = `vLLM answered POST ${PATH} with a body that is not JSON`;
    throw new TaskError('bad_engine_response', message, { cause });
  }
  // vLLM answers 200 with an error object when its audio dependencies are missing.
  throwIfEngineError(PATH, body);
  const { text, language, duration, segments } = parseEngineAnswer(PATH, jsonAnswerSchema, body);
  return { text, ...present({ language, duration, segments }) };
}

export const audioTranscriptionTask = defineTask({
  name: 'openai/audio-transcription',
  schema,
  async run(payload, ctx) {
    const bytes = await audioBytes(payload, ctx);
    const { filename, type } = audioFileOf(bytes);
    ctx.logger.info({ bytes: bytes.length, filename }, 'audio transcription');
    const form = new FormData();
    form.append('file', new Blob([bytes], { type }), filename);
    form.append('model', ctx.engine.model);
    form.append('response_format', payload.response_format);
    const optional = present({
      language: payload.language,
      prompt: payload.prompt,
      temperature: payload.temperature,
    });
    for (const [name, value] of Object.entries(optional)) form.append(name, String(value));
    const reply = await callEngine(ctx.engine, {
      method: 'POST',
      path: PATH,
      form,
      timeoutMs: TIMEOUT_MS,
      signal: ctx.signal,
    });
    return transcriptOf(reply);
  },
});
