/**
 * POST /v1/embeddings: one unit vector per input, derived from the input's text, of the
 * requested `dimensions`; `encoding_format: base64` packs float32 little-endian as vLLM does.
 */
import { z } from 'zod';
import { errorReply, jsonReply, type MockReply, validationReply } from '../replies.ts';
import { embeddingOf, words } from '../synth.ts';

const tokenIds = z.array(z.int());
const embeddingsRequestSchema = z.looseObject({
  input: z.union([z.string(), z.array(z.string()), tokenIds, z.array(tokenIds)]),
  dimensions: z.int().positive().nullish(),
  encoding_format: z.enum(['float', 'base64']).default('float'),
});

function asList(input: z.infer<typeof embeddingsRequestSchema>['input']): (string | number[])[] {
  if (typeof input === 'string') return [input];
  if (input.length > 0 && typeof input[0] === 'number') return [input as number[]];
  return input as (string | number[])[];
}

export function embeddings(body: unknown, model: string, defaultDimensions: number): MockReply {
  const parsed = embeddingsRequestSchema.safeParse(body);
  if (!parsed.success) return validationReply(parsed.error);
  const inputs = asList(parsed.data.input);
  if (inputs.length === 0) return errorReply(400, 'Input cannot be empty');
  const dimensions = parsed.data.dimensions ?? defaultDimensions;
  const base64 = parsed.data.encoding_format === 'base64';
  let promptTokens = 0;
  const data = inputs.map((input, index) => {
    const text = typeof input === 'string' ? input : input.join(' ');
    promptTokens += typeof input === 'string' ? words(input).length : input.length;
    const vector = embeddingOf(text, dimensions);
    const embedding = base64
      ? Buffer.from(new Float32Array(vector).buffer).toString('base64')
      : vector;
    return { object: 'embedding', index, embedding };
  });
  return jsonReply({
    id: `embd-${Date.now().toString(16)}`,
    object: 'list',
    created: Math.floor(Date.now() / 1000),
    model,
    data,
    usage: { prompt_tokens: promptTokens, total_tokens: promptTokens, completion_tokens: 0 },
  });
}
