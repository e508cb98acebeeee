/**
 * What every task shares: its context, the definition shape, payload parsing that names
 * the bad fields, and parsing vLLM's answers at the edge.
 */
import { z } from 'zod';
import type { EngineMode } from '../engine/command.ts';
import { TaskError } from '../errors.ts';
import { type EngineTarget, postJson } from '../http/engine-agent.ts';
import type { Logger } from '../observability/logger.ts';

/** Where vLLM listens, the key it demands, which server it is and the model every request names. */
export type EngineEndpoint = EngineTarget & {
  /** `VLLM_SERVED_MODEL_NAME`: the `model` of every request. */
  model: string;
  /** Plain vLLM or vLLM-Omni: which tasks it can serve. */
  mode: EngineMode;
};

export type TaskContext = {
  engine: EngineEndpoint;
  /** The job's config id, echoed in results and errors. */
  configId: string;
  /** The job's signal: revocation or a forced stop aborts it, and with it the vLLM request. */
  signal: AbortSignal;
  logger: Logger;
  /**
   * The job's progress (`job_progress`: a fraction 0–1 and a message); for a persisted job it
   * also renews the lease. Default: progress is not reported.
   */
  progress?: (value?: number, message?: string) => void;
};

/** A task's own result fields (the envelope is added by runTask). */
export type TaskFields = Record<string, unknown>;

export type TaskDefinition<S extends z.ZodType = z.ZodType> = {
  /** The `payload.task` it answers to, e.g. `openai/embeddings`. */
  name: string;
  /** `omni` when only vLLM-Omni serves it (speech, video). Default: both servers. */
  needs?: 'omni';
  schema: S;
  run(payload: z.output<S>, ctx: TaskContext): Promise<TaskFields>;
};

export function defineTask<S extends z.ZodType>(definition: TaskDefinition<S>): TaskDefinition {
  return definition as unknown as TaskDefinition;
}

/** A URL a worker may fetch. */
export const httpUrl = z.url({
  protocol: /^https?$/,
  error: (issue) => (issue.input === undefined ? 'required' : 'expected an http or https URL'),
});

/** `input: required; dimensions: ...`; an issue about the whole payload is its message alone. */
function describeIssues(error: z.ZodError): string {
  return error.issues
    .map((issue) => (issue.path.length > 0 ? `${issue.path.join('.')}: ` : '') + issue.message)
    .join('; ');
}

/** A missing field reads `required`, not zod's `expected string, received undefined`. */
const requiredWhenMissing = (issue: { code?: string; input?: unknown }) =>
  (issue.code === 'invalid_type' || issue.code === 'invalid_union') && issue.input === undefined
    ? 'required'
    : undefined;

/**
 * The payload without its null fields: producers written in Python send an unset option as
 * null (`None`), and it means what leaving it out means (the default, or nothing sent).
 */
function withoutNulls(payload: unknown): unknown {
  if (typeof payload !== 'object' || payload === null || Array.isArray(payload)) return payload;
  // Most payloads hold no null: they are their own answer (the schema copies what it keeps).
  if (!Object.values(payload).includes(null)) return payload;
  return Object.fromEntries(Object.entries(payload).filter(([, value]) => value !== null));
}

/** The payload as the task's schema types it, or a TaskError naming every bad field. */
export function parsePayload<S extends z.ZodType>(task: string, schema: S, payload: unknown) {
  const parsed = schema.safeParse(withoutNulls(payload), { error: requiredWhenMissing });
  if (parsed.success) return parsed.data as z.output<S>;
  const message = `invalid payload for ${task}: ${describeIssues(parsed.error)}`;
  throw new TaskError('invalid_payload', message, { cause: parsed.error });
}

/**
 * vLLM's own error message in a body shaped like its errors: `{error: {message}}` (its
 * ErrorResponse since 0.10.2) or `{object: "error", message}` (before).
 */
function engineErrorMessage(body: unknown): string | undefined {
  if (typeof body !== 'object' || body === null) return undefined;
  const { object, message, error } = body as {
    object?: unknown;
    message?: unknown;
    error?: unknown;
  };
  if (object === 'error' && typeof message === 'string') return message;
  const nested = (error as { message?: unknown } | null | undefined)?.message;
  return typeof nested === 'string' ? nested : undefined;
}

/**
 * Throws vLLM's own error (reason `engine_error`) when `body` is one of its error objects.
 * `method` of the call, for the message. Default POST.
 */
export function throwIfEngineError(path: string, body: unknown, method = 'POST'): void {
  const said = engineErrorMessage(body);
  if (said !== undefined) {
    throw new TaskError('engine_error', `vLLM returned an error for ${method} ${path}: ${said}`);
  }
}

/** A body parsed as JSON, or its text when it is not JSON. */
export function jsonOrText(body: Buffer): unknown {
  const text = body.toString('utf8');
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/**
 * vLLM's answer as `schema` types it, or a TaskError saying what was off. `method` of the
 * call, for the message. Default POST.
 */
export function parseEngineAnswer<S extends z.ZodType>(
  path: string,
  schema: S,
  body: unknown,
  method = 'POST',
) {
  const parsed = schema.safeParse(body);
  if (parsed.success) return parsed.data as z.output<S>;
  throwIfEngineError(path, body, method);
  const message = `vLLM answered ${method} ${path} with an unexpected body: ${describeIssues(parsed.error)}`;
  throw new TaskError('bad_engine_response', message, { cause: parsed.error });
}

/** POSTs `json` to vLLM at `path` with the job's signal and the task's timeout; parses the answer. */
export async function askEngine<S extends z.ZodType>(
  ctx: TaskContext,
  call: { path: string; json: unknown; timeoutMs: number; schema: S },
): Promise<z.output<S>> {
  const body = await postJson(ctx.engine, {
    path: call.path,
    json: call.json,
    timeoutMs: call.timeoutMs,
    signal: ctx.signal,
  });
  return parseEngineAnswer(call.path, call.schema, body);
}

/** Drops the keys whose value is undefined or null (optional fields not to send). */
export function present<T extends Record<string, unknown>>(record: T): Partial<T> {
  return picked(record, Object.keys(record)) as Partial<T>;
}

/** The `keys` of `record` whose value is neither undefined nor null, in the order of `keys`. */
export function picked(record: Record<string, unknown>, keys: readonly string[]) {
  const kept: Record<string, unknown> = {};
  for (const key of keys) {
    const value = record[key];
    if (value !== undefined && value !== null) kept[key] = value;
  }
  return kept;
}
