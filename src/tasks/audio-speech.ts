/**
 * `openai/audio-speech` (vLLM-Omni): POST /v1/audio/speech with only what vLLM-Omni's
 * OpenAICreateSpeechRequest accepts (vllm_omni/entrypoints/openai/protocol/audio.py,
 * vllm-project/vllm-omni at 0131cb5): formats wav, pcm, flac, mp3 and opus; speed 0.25–4; a
 * voice only when the payload names one (the model's own default otherwise). The audio comes
 * back as bytes and goes into the result as base64.
 */
import { z } from 'zod';
import { TaskError } from '../errors.ts';
import { callEngine } from '../http/engine-agent.ts';
import { defineTask, jsonOrText, present, throwIfEngineError } from './task.ts';

const PATH = '/v1/audio/speech';
/** The OpenAI client's default: vLLM answers or the job fails after 600 s. */
const TIMEOUT_MS = 600_000;

/** vLLM-Omni's `response_format` values. */
const SPEECH_FORMATS = ['wav', 'pcm', 'flac', 'mp3', 'opus'] as const;

const schema = z.looseObject({
  input: z.string().min(1, 'must not be empty'),
  voice: z.string().min(1, 'must not be empty').optional(),
  // mp3 is the Casola contract's default; vLLM-Omni's own is wav.
  response_format: z
    .enum(SPEECH_FORMATS, { error: `vLLM-Omni serves ${SPEECH_FORMATS.join(', ')}` })
    .default('mp3'),
  speed: z
    .number()
    .min(0.25, 'must be between 0.25 and 4')
    .max(4, 'must be between 0.25 and 4')
    .default(1.0),
});

export const audioSpeechTask = defineTask({
  name: 'openai/audio-speech',
  needs: 'omni',
  schema,
  async run(payload, ctx) {
    const { input, voice, response_format: format, speed } = payload;
    ctx.logger.info({ characters: input.length, voice, format }, 'audio speech');
    const reply = await callEngine(ctx.engine, {
      method: 'POST',
      path: PATH,
      json: {
        model: ctx.engine.model,
        input,
        response_format: format,
        speed,
        ...present({ voice }),
      },
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
      voice: voice ?? null,
      // Characters as people count them (code points), not UTF-16 units.
      input_length: [...input].length,
    };
  },
});
