/**
 * The OpenAI-shaped JSON routes: chat completions, embeddings, image generations, models.
 * Each turns its request into a transient payload of protocol.md carrying every parameter
 * the request gave (the worker forwards them to vLLM), and the worker's result into the
 * OpenAI answer; a chat request with `stream: true` gets it as Server-Sent Events.
 */
import { z } from 'zod';
import type { HttpReply } from '../../net/http-server.ts';
import type { JsonValue } from '../../protocol/index.ts';
import { type Completion, sendChatStream } from './chat-stream.ts';
import { sendJson } from './http.ts';
import { answerFailure, jsonRoute, type RestDeps, runTransient } from './rest-io.ts';

const chatBody = z.looseObject({
  model: z.string().min(1),
  messages: z.array(z.record(z.string(), z.unknown())).min(1),
  stream: z.boolean().nullish(),
  stream_options: z.looseObject({ include_usage: z.boolean().nullish() }).nullish(),
});
const chatResult = z.looseObject({ completion: z.record(z.string(), z.unknown()) });

export const chatCompletions = jsonRoute(chatBody, async (deps, body, reply) => {
  // The queue streams; the job itself is one answer.
  const { stream, stream_options: streamOptions, ...parameters } = body;
  // The route names the task: a body field `task` must not pick another one.
  const payload = { ...parameters, task: 'openai/chat-completion' } as JsonValue;
  const result = await runTransient(deps, payload, parameters.model, chatResult);
  if (!result.ok) return answerFailure(reply, result);
  const completion = result.value.completion as Completion;
  if (stream === true) {
    sendChatStream(reply, completion, streamOptions?.include_usage === true);
    return;
  }
  const created = Math.floor(Date.now() / 1000);
  sendJson(reply, 200, { object: 'chat.completion', created, ...completion });
});

const tokenIds = z.array(z.number().int()).min(1);
const embeddingsBody = z.looseObject({
  model: z.string().min(1),
  input: z.union([z.string(), z.array(z.string()).min(1), tokenIds, z.array(tokenIds).min(1)]),
});
const embeddingsResult = z.looseObject({
  embeddings: z.array(
    z.looseObject({
      index: z.number().int(),
      embedding: z.union([z.array(z.number()), z.string()]),
    }),
  ),
  prompt_tokens: z.number().int().default(0),
  total_tokens: z.number().int().default(0),
});

export const embeddings = jsonRoute(embeddingsBody, async (deps, body, reply) => {
  const { model } = body;
  const payload = { ...body, task: 'openai/embeddings' } as JsonValue;
  const result = await runTransient(deps, payload, model, embeddingsResult);
  if (!result.ok) return answerFailure(reply, result);
  const { embeddings: vectors, prompt_tokens, total_tokens } = result.value;
  sendJson(reply, 200, {
    object: 'list',
    data: vectors.map(({ index, embedding }) => ({ object: 'embedding', index, embedding })),
    model,
    usage: { prompt_tokens, total_tokens },
  });
});

const imagesBody = z.looseObject({
  model: z.string().min(1).default('dall-e-3'),
  prompt: z.string().min(1),
  n: z.number().int().positive().default(1),
  size: z
    .string()
    .regex(/^\d+x\d+$/, 'must be WIDTHxHEIGHT, e.g. 1024x1024')
    .default('1024x1024'),
});
const imagesResult = z.looseObject({ images: z.array(z.looseObject({ url: z.string() })) });

export const imageGenerations = jsonRoute(imagesBody, async (deps, body, reply) => {
  const { model, prompt, n, size } = body;
  const [width, height] = size.split('x').map(Number) as [number, number];
  const payload = {
    task: 'fal/text-to-image',
    model,
    prompt,
    num_images: n,
    image_size: { width, height },
  };
  const result = await runTransient(deps, payload, model, imagesResult);
  if (!result.ok) return answerFailure(reply, result);
  sendJson(reply, 200, {
    created: Math.floor(Date.now() / 1000),
    data: result.value.images.map(({ url }) => ({ url, revised_prompt: prompt })),
  });
});

/** The connected workers' config ids, as OpenAI models. */
export function models(deps: RestDeps, reply: HttpReply): void {
  const ids = new Set(deps.workers.connected().map((record) => record.configId));
  const created = Math.floor(Date.now() / 1000);
  sendJson(reply, 200, {
    object: 'list',
    data: [...ids].map((id) => ({ id, object: 'model', created, owned_by: 'casola' })),
  });
}
