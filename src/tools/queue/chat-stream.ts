/**
 * A chat completion as OpenAI's Server-Sent Events stream, for requests with `stream: true`.
 * The job runs to its end first (the worker's result is one completion), then the answer goes
 * out as the chunks an OpenAI client expects: per choice, one chunk with the role and the
 * whole message, one with its `finish_reason`; a `usage` chunk when `stream_options` asks for
 * it; then `data: [DONE]`. The chunk shape is OpenAI's `chat.completion.chunk` (as vLLM's
 * vllm/entrypoints/openai/protocol.py, ChatCompletionStreamResponse, v0.11, serves it).
 */
import { Readable } from 'node:stream';
import type { HttpReply } from '../../net/http-server.ts';

/** The completion a chat job's result carries (src/tasks/chat-completion.ts). */
export type Completion = {
  id?: unknown;
  model?: unknown;
  created?: unknown;
  usage?: unknown;
  choices?: unknown;
};

type Choice = {
  index?: number;
  message?: Record<string, unknown>;
  finish_reason?: unknown;
  logprobs?: unknown;
};

/** The message as a delta: a tool call in a delta carries its position as `index`. */
function delta(message: Record<string, unknown>): Record<string, unknown> {
  const { tool_calls: toolCalls, ...rest } = message;
  if (!Array.isArray(toolCalls)) return rest;
  return { ...rest, tool_calls: toolCalls.map((call, index) => ({ index, ...call })) };
}

/** The chunks of `completion`, in order, without the closing `[DONE]`. */
export function completionChunks(completion: Completion, includeUsage: boolean): unknown[] {
  const head = {
    id: completion.id,
    object: 'chat.completion.chunk',
    created: completion.created ?? Math.floor(Date.now() / 1000),
    model: completion.model,
  };
  const choices = Array.isArray(completion.choices) ? (completion.choices as Choice[]) : [];
  const chunks: unknown[] = [];
  for (const [position, choice] of choices.entries()) {
    const index = choice.index ?? position;
    const message = delta(choice.message ?? {});
    const logprobs = choice.logprobs ?? null;
    chunks.push({ ...head, choices: [{ index, delta: message, logprobs, finish_reason: null }] });
    const finish = choice.finish_reason ?? 'stop';
    chunks.push({
      ...head,
      choices: [{ index, delta: {}, logprobs: null, finish_reason: finish }],
    });
  }
  if (includeUsage) chunks.push({ ...head, choices: [], usage: completion.usage ?? null });
  return chunks;
}

/** Answers 200 with the stream of `completion`. */
export function sendChatStream(
  reply: HttpReply,
  completion: Completion,
  includeUsage: boolean,
): void {
  const events = completionChunks(completion, includeUsage).map(
    (chunk) => `data: ${JSON.stringify(chunk)}\n\n`,
  );
  reply
    .code(200)
    .header('content-type', 'text/event-stream')
    .header('cache-control', 'no-cache')
    .send(Readable.from([...events, 'data: [DONE]\n\n']));
}
