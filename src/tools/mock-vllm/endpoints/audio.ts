/**
 * POST /v1/audio/speech (vLLM-Omni's OpenAICreateSpeechRequest, vllm_omni/entrypoints/openai/
 * protocol/audio.py at 0131cb5: bytes of the requested format, a playable WAV for `wav`) and
 * POST /v1/audio/transcriptions (vllm/entrypoints/openai/speech_to_text.py at 01d83a8 and the
 * 0.11-series protocol.py, as test/fixtures/vllm/audio-transcriptions.json names them:
 * multipart in; JSON, verbose JSON with `duration` as a string, or plain text out).
 */
import { z } from 'zod';
import { errorReply, jsonReply, type MockReply, validationReply } from '../replies.ts';
import type { FormFields } from '../request.ts';
import { audioSeconds, bytesOf, pcmTone, wavFile } from '../synth.ts';

const SPEECH_FORMATS = {
  wav: 'audio/wav',
  pcm: 'audio/pcm',
  flac: 'audio/flac',
  mp3: 'audio/mpeg',
  opus: 'audio/ogg',
} as const;

/** What each format starts with, so sniffers recognise the bytes. */
const MAGIC: Record<keyof typeof SPEECH_FORMATS, Buffer> = {
  mp3: Buffer.from([0x49, 0x44, 0x33, 0x04, 0, 0, 0, 0, 0, 0, 0xff, 0xfb, 0x90, 0x00]),
  opus: Buffer.from('OggS\0\x02', 'latin1'),
  flac: Buffer.from('fLaC', 'latin1'),
  wav: Buffer.alloc(0),
  pcm: Buffer.alloc(0),
};

const speechRequestSchema = z.looseObject({
  input: z.string(),
  voice: z.string().nullish(),
  response_format: z
    .enum(Object.keys(SPEECH_FORMATS) as [keyof typeof SPEECH_FORMATS])
    .default('wav'),
  speed: z.number().min(0.25).max(4).nullish(),
});

export function speech(body: unknown): MockReply {
  const parsed = speechRequestSchema.safeParse(body);
  if (!parsed.success) return validationReply(parsed.error);
  const { input, voice, response_format: format, speed } = parsed.data;
  // About 20 ms per character, capped so a long input stays a small answer.
  const seconds = Math.min(2, (input.length * 0.02) / (speed ?? 1));
  const pcm = pcmTone(seconds);
  const bytes =
    format === 'wav'
      ? wavFile(pcm)
      : format === 'pcm'
        ? pcm
        : Buffer.concat([MAGIC[format], bytesOf(`${voice ?? ''}:${input}`, pcm.length / 8)]);
  return { status: 200, contentType: SPEECH_FORMATS[format], body: bytes };
}

const transcriptionFieldsSchema = z.looseObject({
  file: z.object({ filename: z.string(), contentType: z.string(), data: z.instanceof(Buffer) }),
  // AudioResponseFormat accepts srt and vtt; the serving then refuses them.
  response_format: z.enum(['json', 'text', 'verbose_json', 'srt', 'vtt']).default('json'),
  language: z.string().optional(),
  prompt: z.string().optional(),
  temperature: z.coerce.number().optional(),
});

type Transcript = { text: string; duration: number; language?: string; temperature?: number };

/** speech_to_text.py's refusal as worded at 01d83a8 (two strings joined without a space). */
const FORMAT_REFUSED = 'Currently only support response_format`text`, `json` or `verbose_json`';

function verbose({ text, duration, language, temperature }: Transcript): unknown {
  const segment = {
    id: 0,
    seek: 0,
    start: 0,
    end: duration,
    text,
    tokens: [],
    temperature: temperature ?? 0,
    avg_logprob: 0,
    compression_ratio: 1,
    no_speech_prob: 0,
  };
  // TranscriptionResponseVerbose(duration=str(...)), dumped whole (model_dump()): the duration
  // as a string, `words` null, and no `task` field (test/fixtures/vllm/audio-transcriptions.json).
  return {
    language: language ?? 'en',
    duration: String(duration),
    text,
    segments: [segment],
    words: null,
  };
}

export function transcription(fields: FormFields | undefined): MockReply {
  if (fields === undefined) return errorReply(400, 'expected a multipart/form-data body');
  const parsed = transcriptionFieldsSchema.safeParse(fields);
  if (!parsed.success) return validationReply(parsed.error);
  const { file, response_format: format, language, temperature } = parsed.data;
  const transcript: Transcript = {
    text: `mock transcription of ${file.data.length} bytes of ${file.contentType || 'audio'}`,
    duration: audioSeconds(file.data),
    ...(language === undefined ? {} : { language }),
    ...(temperature === undefined ? {} : { temperature }),
  };
  switch (format) {
    case 'json':
      return jsonReply({ text: transcript.text });
    case 'verbose_json':
      return jsonReply(verbose(transcript));
    case 'text':
      return { status: 200, contentType: 'text/plain; charset=utf-8', body: transcript.text };
    default:
      return errorReply(400, FORMAT_REFUSED);
  }
}
