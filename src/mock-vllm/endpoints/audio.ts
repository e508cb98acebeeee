/**
 * POST /v1/audio/speech (bytes of the requested format, a playable WAV for `wav`) and
 * POST /v1/audio/transcriptions (multipart in; JSON, verbose JSON or plain text out).
 */
import { z } from 'zod';
import { errorReply, jsonReply, type MockReply, validationReply } from '../replies.ts';
import type { FormFields } from '../request.ts';
import { audioSeconds, bytesOf, pcmTone, wavFile } from '../synth.ts';

const SPEECH_FORMATS = {
  mp3: 'audio/mpeg',
  opus: 'audio/ogg',
  aac: 'audio/aac',
  flac: 'audio/flac',
  wav: 'audio/wav',
  pcm: 'audio/pcm',
} as const;

/** What each format starts with, so sniffers recognise the bytes. */
const MAGIC: Record<keyof typeof SPEECH_FORMATS, Buffer> = {
  mp3: Buffer.from([0x49, 0x44, 0x33, 0x04, 0, 0, 0, 0, 0, 0, 0xff, 0xfb, 0x90, 0x00]),
  opus: Buffer.from('OggS\0\x02', 'latin1'),
  aac: Buffer.from([0xff, 0xf1, 0x50, 0x80]),
  flac: Buffer.from('fLaC', 'latin1'),
  wav: Buffer.alloc(0),
  pcm: Buffer.alloc(0),
};

const speechRequestSchema = z.looseObject({
  input: z.string().min(1),
  voice: z.string().default('default'),
  response_format: z
    .enum(Object.keys(SPEECH_FORMATS) as [keyof typeof SPEECH_FORMATS])
    .default('mp3'),
  speed: z.number().min(0.25).max(4).default(1),
});

export function speech(body: unknown): MockReply {
  const parsed = speechRequestSchema.safeParse(body);
  if (!parsed.success) return validationReply(parsed.error);
  const { input, voice, response_format: format, speed } = parsed.data;
  // About 20 ms per character, capped so a long input stays a small answer.
  const seconds = Math.min(2, (input.length * 0.02) / speed);
  const pcm = pcmTone(seconds);
  const bytes =
    format === 'wav'
      ? wavFile(pcm)
      : format === 'pcm'
        ? pcm
        : Buffer.concat([MAGIC[format], bytesOf(`${voice}:${input}`, pcm.length / 8)]);
  return { status: 200, contentType: SPEECH_FORMATS[format], body: bytes };
}

const transcriptionFieldsSchema = z.looseObject({
  file: z.object({ filename: z.string(), contentType: z.string(), data: z.instanceof(Buffer) }),
  response_format: z.enum(['json', 'text', 'verbose_json', 'srt', 'vtt']).default('json'),
  language: z.string().optional(),
  prompt: z.string().optional(),
  temperature: z.coerce.number().optional(),
});

type Transcript = { text: string; duration: number; language?: string; temperature?: number };

/** One cue covering the whole clip, in SubRip or WebVTT. */
function subtitles(format: 'srt' | 'vtt', { text, duration }: Transcript): string {
  const end = new Date(Math.ceil(duration * 1000)).toISOString().slice(11, 23);
  if (format === 'vtt') return `WEBVTT\n\n00:00:00.000 --> ${end}\n${text}\n`;
  return `1\n00:00:00,000 --> ${end.replace('.', ',')}\n${text}\n`;
}

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
  return { task: 'transcribe', language: language ?? 'en', duration, text, segments: [segment] };
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
      return { status: 200, contentType: 'text/plain', body: transcript.text };
    default:
      return { status: 200, contentType: 'text/plain', body: subtitles(format, transcript) };
  }
}
