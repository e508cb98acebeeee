/**
 * `openai/embeddings`: POST /v1/embeddings with the input as a list, and the optional
 * `encoding_format` and `dimensions`.
 */
import { z } from 'zod';
import { askEngine, defineTask, present } from './task.ts';

const PATH = '/v1/embeddings';
/** The OpenAI client's default: vLLM answers or the job fails after 600 s. */
const TIMEOUT_MS = 600_000;

const tokenIds = z.array(z.int()).min(1);
const schema = z.looseObject({
  input: z.union([
    z.string().min(1),
    z.array(z.string()).min(1),
    tokenIds,
    z.array(tokenIds).min(1),
  ]),
  encoding_format: z.enum(['float', 'base64']).optional(),
  dimensions: z.int().positive().optional(),
});

const answerSchema = z.object({
  data: z.array(
    z.object({ index: z.int(), embedding: z.union([z.array(z.number()), z.string()]) }),
  ),
  usage: z.object({ prompt_tokens: z.int(), total_tokens: z.int() }).optional(),
});

export const embeddingsTask = defineTask({
  name: 'openai/embeddings',
  schema,
  async run(payload, ctx) {
    const input = typeof payload.input === 'string' ? [payload.input] : payload.input;
    const json = {
      model: ctx.engine.model,
      input,
      ...present({ encoding_format: payload.encoding_format, dimensions: payload.dimensions }),
    };
    ctx.logger.info({ inputs: input.length }, 'embeddings');
    const answer = await askEngine(ctx, {
      path: PATH,
      json,
      timeoutMs: TIMEOUT_MS,
      schema: answerSchema,
    });
    return {
      embeddings: answer.data.map(({ index, embedding }) => ({ index, embedding })),
      prompt_tokens: answer.usage?.prompt_tokens ?? 0,
      total_tokens: answer.usage?.total_tokens ?? 0,
    };
  },
});
