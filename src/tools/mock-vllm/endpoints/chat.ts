/**
 * POST /v1/chat/completions: echoes the last user message word by word, cut at
 * `max_tokens`, and calls a tool when the request has `tools` and asks for one (a
 * required or named `tool_choice`, or the last user message naming the tool).
 */
import { z } from 'zod';
import { errorReply, jsonReply, type MockReply, validationReply } from '../replies.ts';
import { digest, words } from '../synth.ts';

const contentSchema = z.union([
  z.string(),
  z.array(z.looseObject({ type: z.string(), text: z.string().optional() })),
  z.null(),
]);

const toolSchema = z.looseObject({
  type: z.literal('function'),
  function: z.looseObject({
    name: z.string(),
    parameters: z
      .looseObject({
        properties: z.record(z.string(), z.looseObject({ type: z.unknown() })).optional(),
        required: z.array(z.string()).optional(),
      })
      .optional(),
  }),
});

const chatRequestSchema = z.looseObject({
  messages: z.array(z.looseObject({ role: z.string(), content: contentSchema.optional() })).min(1),
  max_tokens: z.int().positive().nullish(),
  max_completion_tokens: z.int().positive().nullish(),
  n: z.int().positive().default(1),
  tools: z.array(toolSchema).optional(),
  tool_choice: z
    .union([
      z.enum(['none', 'auto', 'required']),
      z.looseObject({ type: z.literal('function'), function: z.object({ name: z.string() }) }),
    ])
    .optional(),
});

type ChatRequest = z.infer<typeof chatRequestSchema>;
type Tool = z.infer<typeof toolSchema>;

function textOf(content: z.infer<typeof contentSchema> | undefined): string {
  if (typeof content === 'string') return content;
  return (content ?? []).map((part) => part.text ?? '').join(' ');
}

/** The tool the request asks for, or undefined for a plain answer. */
function chosenTool(request: ChatRequest, lastUserText: string): Tool | undefined {
  const tools = request.tools ?? [];
  const choice = request.tool_choice;
  if (choice === 'none' || tools.length === 0) return undefined;
  if (typeof choice === 'object') {
    return tools.find((tool) => tool.function.name === choice.function.name);
  }
  const named = tools.find((tool) => lastUserText.includes(tool.function.name));
  return named ?? (choice === 'required' ? tools[0] : undefined);
}

/** Arguments filled from the tool's schema: strings echo the user's text. */
function argumentsFor(tool: Tool, userText: string): string {
  const parameters = tool.function.parameters;
  const args: Record<string, unknown> = {};
  for (const name of parameters?.required ?? []) {
    const type = parameters?.properties?.[name]?.type;
    const byType: Record<string, unknown> = {
      string: userText,
      integer: words(userText).length,
      number: words(userText).length,
      boolean: true,
      array: [],
      object: {},
    };
    args[name] = typeof type === 'string' && type in byType ? byType[type] : null;
  }
  return JSON.stringify(args);
}

/** vLLM's answers to a `tool_choice` that does not fit `tools`, or undefined. */
function toolChoiceError(request: ChatRequest): MockReply | undefined {
  const choice = request.tool_choice;
  const names = (request.tools ?? []).map((tool) => tool.function.name);
  if (choice !== undefined && choice !== 'none' && names.length === 0) {
    return errorReply(400, 'When using `tool_choice`, `tools` must be set.');
  }
  if (typeof choice === 'object' && !names.includes(choice.function.name)) {
    return errorReply(400, `Tool '${choice.function.name}' has not been passed in \`tools\`.`);
  }
  return undefined;
}

type Answer = { message: Record<string, unknown>; finishReason: string; tokens: number };

function answer(request: ChatRequest, userText: string, id: string): Answer {
  const tool = chosenTool(request, userText);
  if (tool) {
    const args = argumentsFor(tool, userText);
    const call = {
      id: `chatcmpl-tool-${digest(id + tool.function.name)}`,
      type: 'function',
      function: { name: tool.function.name, arguments: args },
    };
    const message = { role: 'assistant', content: null, tool_calls: [call] };
    return { message, finishReason: 'tool_calls', tokens: words(args).length };
  }
  const echo = words(userText);
  const limit = request.max_completion_tokens ?? request.max_tokens ?? echo.length;
  const reply = echo.slice(0, limit);
  return {
    message: { role: 'assistant', content: reply.join(' '), tool_calls: [] },
    finishReason: reply.length < echo.length ? 'length' : 'stop',
    tokens: reply.length,
  };
}

export function chatCompletion(body: unknown, model: string): MockReply {
  const parsed = chatRequestSchema.safeParse(body);
  if (!parsed.success) return validationReply(parsed.error);
  const request = parsed.data;
  const invalid = toolChoiceError(request);
  if (invalid) return invalid;
  const userText = textOf(request.messages.findLast((m) => m.role === 'user')?.content);
  const promptTokens = request.messages.reduce((n, m) => n + words(textOf(m.content)).length, 0);
  const id = digest(JSON.stringify(request.messages));
  const { message, finishReason, tokens } = answer(request, userText, id);
  const completionTokens = tokens * request.n;
  return jsonReply({
    id: `chatcmpl-${id}`,
    object: 'chat.completion',
    created: Math.floor(Date.now() / 1000),
    model,
    choices: Array.from({ length: request.n }, (_, index) => ({
      index,
      message,
      logprobs: null,
      finish_reason: finishReason,
      stop_reason: null,
    })),
    usage: {
      prompt_tokens: promptTokens,
      completion_tokens: completionTokens,
      total_tokens: promptTokens + completionTokens,
    },
  });
}
