/**
 * The OpenAI audio routes: speech answers the decoded audio bytes with the format's
 * content type; transcriptions take a multipart form and send the file as `audio_base64`.
 */
import { z } from 'zod';
import { type HttpReply, type HttpRequest, readBody } from '../../net/http-server.ts';
import { sendBytes, sendJson } from './http.ts';
import {
  answerFailure,
  defined,
  fail,
  jsonRoute,
  type RestDeps,
  type RestResult,
  runTransient,
  validate,
} from './rest-io.ts';

/** Content types of the formats OpenAI's speech endpoint returns. */
const AUDIO_TYPES: Record<string, string> = {
  mp3: 'audio/mpeg',
  opus: 'audio/opus',
  aac: 'audio/aac',
  flac: 'audio/flac',
  wav: 'audio/wav',
  pcm: 'audio/pcm',
};

const speechBody = z.looseObject({
  model: z.string().min(1),
  input: z.string().min(1),
  voice: z.string().optional(),
  response_format: z.string().optional(),
  speed: z.number().positive().optional(),
});
const speechResult = z.looseObject({ audio_base64: z.string(), format: z.string().optional() });

export const speech = jsonRoute(speechBody, async (deps, body, reply) => {
  const { model, input, voice, response_format, speed } = body;
  const payload = {
    task: 'openai/audio-speech',
    model,
    input,
    ...defined({ voice, response_format, speed }),
  };
  const result = await runTransient(deps, payload, model, speechResult);
  if (!result.ok) return answerFailure(reply, result);
  const format = result.value.format ?? response_format ?? 'mp3';
  const contentType = AUDIO_TYPES[format] ?? 'application/octet-stream';
  sendBytes(reply, 200, contentType, Buffer.from(result.value.audio_base64, 'base64'));
});

const transcriptionForm = z.object({
  model: z.string().min(1),
  language: z.string().min(1).optional(),
  response_format: z.enum(['json', 'text', 'srt', 'verbose_json', 'vtt']).optional(),
});
const transcriptionResult = z.looseObject({
  text: z.string(),
  language: z.string().optional(),
  duration: z.number().optional(),
  segments: z.array(z.unknown()).optional(),
});

export async function transcriptions(
  deps: RestDeps,
  request: HttpRequest,
  reply: HttpReply,
): Promise<void> {
  const form = await readForm(deps, request);
  if (!form.ok) return answerFailure(reply, form);
  const { model, language, response_format, audio_base64 } = form.value;
  const payload = {
    task: 'openai/audio-transcription',
    model,
    audio_base64,
    ...defined({ language, response_format }),
  };
  const result = await runTransient(deps, payload, model, transcriptionResult);
  if (!result.ok) return answerFailure(reply, result);
  const { text, language: detected, duration, segments } = result.value;
  if (response_format === 'text' || response_format === 'srt' || response_format === 'vtt') {
    sendBytes(reply, 200, 'text/plain; charset=utf-8', text);
  } else if (response_format === 'verbose_json') {
    sendJson(reply, 200, { text, ...defined({ language: detected, duration, segments }) });
  } else {
    sendJson(reply, 200, { text });
  }
}

type TranscriptionForm = z.output<typeof transcriptionForm> & { audio_base64: string };

async function readForm(
  deps: RestDeps,
  request: HttpRequest,
): Promise<RestResult<TranscriptionForm>> {
  const contentType = request.headers['content-type'] ?? '';
  if (!contentType.startsWith('multipart/form-data')) {
    return fail(400, 'expected a multipart/form-data body with file and model');
  }
  const read = await readBody(request.raw, deps.maxBodyBytes);
  if (!read.ok) return fail(read.status, 'the request body could not be read or is too large');
  let form: FormData;
  try {
    form = await new Request('http://local/', {
      method: 'POST',
      headers: { 'content-type': contentType },
      body: read.body,
    }).formData();
  } catch {
    return fail(400, 'the multipart body could not be parsed');
  }
  const file = form.get('file');
  if (!(file instanceof Blob)) return fail(400, 'invalid form: file: a file is required');
  const fields = validate(transcriptionForm, textFields(form), 'form');
  if (!fields.ok) return fields;
  const audio_base64 = Buffer.from(await file.arrayBuffer()).toString('base64');
  return { ok: true, value: { ...fields.value, audio_base64 } };
}

function textFields(form: FormData): Record<string, string> {
  const fields: Record<string, string> = {};
  for (const [name, value] of form.entries()) {
    if (typeof value === 'string') fields[name] = value;
  }
  return fields;
}
