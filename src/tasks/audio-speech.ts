/**
 * `openai/audio-speech`: POST /v1/audio/speech; the audio comes back as bytes and goes
 * into the result as base64.
 */
import { z } from 'zod';
import { TaskError } from '../errors.ts';
import { callEngine } from '../http/engine-agent.ts';
import { defineTask, jsonOrText, throwIfEngineError } from './task.ts';

const PATH = '/v1/audio/speech';
/** The OpenAI client's default: vLLM answers or the job fails after 600 s. */
const TIMEOUT_MS = 600_000;

const schema = z.looseObject({
  input: z.string().min(1, 'must not be empty'),
  voice: z.string().default('default'),
  response_format: z.enum(['mp3', 'opus', 'aac', 'flac', 'wav', 'pcm']).default('mp3'),
  speed: z.number().positive().default(1.0),
});

export const audioSpeechTask = defineTask({
  name: 'openai/audio-speech',
  schema,
  async run(payload, ctx) {
    const { input, voice, response_format: format, speed } = payload;
    ctx.logger.info({ characters: input.length, voice, format }, 'audio speech');
    const reply = await callEngine(ctx.engine.baseUrl, {
      method: 'POST',
      path: PATH,
      json: { model: ctx.engine.model, input, voice, response_format: format, speed },
      timeoutMs: TIMEOUT_MS,
      signal: ctx.signal,
    });
    // Audio comes as bytes; JSON is vLLM saying why there is none (it answers 200 with an error
    // object when its audio dependencies are missing).
    if (reply.contentType.includes('json')) {
      throwIfEngineError(PATH, jsonOrText(reply.body));
      const text = reply.body.toString('utf8').slice(0, 200);
      throw new TaskError(
        'bad_engine_response',
        `vLLM answered POST ${PATH} with JSON, not audio: ${text}`,
      );
    }
    return {
      audio_base64: reply.body.toString('base64'),
      format,
      voice,
      // Characters as people count them (code points), not UTF-16 units.
      input_length: [...input].length,
    };
  },
});
