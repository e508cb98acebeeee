/**
 * Every request to vLLM goes through one pooled keep-alive undici Agent and carries the
 * job's AbortSignal combined with the task's timeout: aborting the job closes the
 * connection, so vLLM sees the request go away and stops working on it.
 */
import { Agent, type FormData, request } from 'undici';
import { TaskError } from '../errors.ts';
import { parseExactJson } from './exact-json.ts';

/**
 * The pool for vLLM. undici's own header and body timeouts (300 s) are off: a video takes
 * up to 900 s, and each call's AbortSignal carries the timeout that applies.
 */
export const engineAgent: Agent = new Agent({
  keepAliveTimeout: 60_000,
  headersTimeout: 0,
  bodyTimeout: 0,
});

export type EngineCall = {
  method: 'GET' | 'POST';
  /** Path from the server root, e.g. `/v1/chat/completions`. */
  path: string;
  /** A JSON body. */
  json?: unknown;
  /** A multipart body. */
  form?: FormData;
  /** The most this call may take, headers and body, in ms. */
  timeoutMs: number;
  /** The job's signal: aborting it aborts the call. */
  signal: AbortSignal;
};

export type EngineReply = { status: number; contentType: string; body: Buffer };

/** The OpenAI error message in a vLLM error body, or the body itself, shortened. */
function errorMessage(body: Buffer): string {
  const text = body.toString('utf8');
  try {
    const parsed = JSON.parse(text) as {
      message?: unknown;
      error?: { message?: unknown };
      detail?: unknown;
    };
    const message = parsed.message ?? parsed.error?.message ?? parsed.detail;
    if (typeof message === 'string') return message;
    if (message !== undefined) return JSON.stringify(message);
  } catch {
    // not JSON: the text is the message
  }
  return text.slice(0, 500) || '(empty body)';
}

function failure(call: EngineCall, baseUrl: string, timedOut: boolean, cause: unknown): TaskError {
  const what = `${call.method} ${call.path}`;
  if (call.signal.aborted) {
    return new TaskError('aborted', `job aborted while vLLM was answering ${what}`, { cause });
  }
  if (timedOut) {
    const seconds = call.timeoutMs / 1000;
    return new TaskError('timeout', `vLLM did not answer ${what} within ${seconds} s`, { cause });
  }
  const reason = cause instanceof Error ? cause.message : String(cause);
  return new TaskError(
    'engine_unreachable',
    `could not reach vLLM at ${baseUrl} for ${what}: ${reason}; is vLLM running?`,
    { cause },
  );
}

/** Sends `call` to vLLM; a 2xx comes back as bytes, anything else throws a TaskError. */
export async function callEngine(baseUrl: string, call: EngineCall): Promise<EngineReply> {
  const json = call.json === undefined ? undefined : JSON.stringify(call.json);
  // One controller for the job's signal and the timeout, both undone when the call ends:
  // AbortSignal.timeout/any would leave a timer and weak references per call until a full GC.
  const controller = new AbortController();
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    controller.abort(new DOMException('vLLM did not answer in time', 'TimeoutError'));
  }, call.timeoutMs);
  const onAbort = () => controller.abort(call.signal.reason);
  if (call.signal.aborted) onAbort();
  else call.signal.addEventListener('abort', onAbort, { once: true });
  const signal = controller.signal;
  let reply: EngineReply;
  try {
    const response = await request(new URL(call.path, baseUrl), {
      dispatcher: engineAgent,
      method: call.method,
      signal,
      body: call.form ?? json ?? null,
      headers: json === undefined ? {} : { 'content-type': 'application/json' },
    });
    const body = Buffer.from(await response.body.arrayBuffer());
    const contentType = String(response.headers['content-type'] ?? '');
    reply = { status: response.statusCode, contentType, body };
  } catch (error) {
    throw failure(call, baseUrl, timedOut, error);
  } finally {
    clearTimeout(timer);
    call.signal.removeEventListener('abort', onAbort);
  }
  if (reply.status >= 300) {
    const message = `vLLM returned ${reply.status} for ${call.method} ${call.path}: ${errorMessage(reply.body)}`;
    throw new TaskError('engine_error', message, { status: reply.status });
  }
  return reply;
}

/** POSTs JSON and parses the JSON answer (integers past 2^53 kept exact: exact-json.ts). */
export async function postJson(
  baseUrl: string,
  call: Omit<EngineCall, 'method' | 'form'>,
): Promise<unknown> {
  const reply = await callEngine(baseUrl, { ...call, method: 'POST' });
  try {
    return parseExactJson(reply.body.toString('utf8'));
  } catch (cause) {
    const message = `vLLM answered POST ${call.path} with a body that is not JSON`;
    throw new TaskError('bad_engine_response', message, { cause });
  }
}
