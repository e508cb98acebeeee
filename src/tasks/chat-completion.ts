/**
 * `openai/chat-completion` (also an empty or missing task): one non-streaming POST
 * /v1/chat/completions; temperature 0.7 and top_p 1.0 unless given; the other OpenAI (and
 * vLLM sampling) parameters the payload carries are forwarded as they are.
 */
import { z } from 'zod';
import { askEngine, defineTask, picked, present } from './task.ts';

const PATH = '/v1/chat/completions';
/** The OpenAI client's default: vLLM answers or the job fails after 600 s. */
const TIMEOUT_MS = 600_000;

/** Chat parameters forwarded when the payload has them (and they are not null). */
const FORWARDED = [
  'max_tokens',
  'max_completion_tokens',
  'frequency_penalty',
  'presence_penalty',
  'stop',
  'seed',
  'n',
  'tools',
  'tool_choice',
  'parallel_tool_calls',
  'response_format',
  'logprobs',
  'top_logprobs',
  'logit_bias',
  'user',
  'top_k',
  'min_p',
  'repetition_penalty',
  'min_tokens',
  'chat_template_kwargs',
] as const;

const schema = z.looseObject({
  messages: z.array(z.looseObject({ role: z.string() })).min(1, 'must not be empty'),
  temperature: z.number().min(0).default(0.7),
  top_p: z.number().gt(0).max(1).default(1.0),
  max_tokens: z.int().positive().nullish(),
  max_completion_tokens: z.int().positive().nullish(),
  n: z.int().positive().nullish(),
  seed: z.int().nullish(),
  stop: z.union([z.string(), z.array(z.string())]).nullish(),
  tools: z.array(z.looseObject({ type: z.string() })).nullish(),
});

const answerSchema = z.object({
  id: z.string(),
  model: z.string(),
  choices: z.array(
    z.object({
      index: z.int(),
      message: z.looseObject({ role: z.string(), content: z.string().nullable() }),
      finish_reason: z.string().nullable(),
      logprobs: z.unknown().optional(),
    }),
  ),
  usage: z.object({
    prompt_tokens: z.int(),
    completion_tokens: z.int(),
    total_tokens: z.int(),
  }),
});

type Message = z.infer<typeof answerSchema>['choices'][number]['message'];

/** role and content always; other fields (tool_calls, reasoning_content...) when they say something. */
function compactMessage(message: Message): Record<string, unknown> {
  const compact: Record<string, unknown> = { role: message.role, content: message.content };
  for (const [key, value] of Object.entries(message)) {
    if (key === 'role' || key === 'content') continue;
    if (value === null || value === undefined) continue;
    if (Array.isArray(value) && value.length === 0) continue;
    compact[key] = value;
  }
  return compact;
}

export const chatCompletionTask = defineTask({
  name: 'openai/chat-completion',
  schema,
  async run(payload, ctx) {
    const forwarded = picked(payload, FORWARDED);
    const json = {
      model: ctx.engine.model,
      messages: payload.messages,
      temperature: payload.temperature,
      top_p: payload.top_p,
      ...forwarded,
      stream: false,
    };
    ctx.logger.info({ messages: payload.messages.length }, 'chat completion');
    const answer = await askEngine(ctx, {
      path: PATH,
      json,
      timeoutMs: TIMEOUT_MS,
      schema: answerSchema,
    });
    const choices = answer.choices.map((choice) => ({
      index: choice.index,
      message: compactMessage(choice.message),
      finish_reason: choice.finish_reason,
      ...present({ logprobs: choice.logprobs }),
    }));
    return { completion: { id: answer.id, model: answer.model, choices, usage: answer.usage } };
  },
});
