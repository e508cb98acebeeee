/**
 * Every request to vLLM goes through one pooled keep-alive undici Agent and carries the
 * job's AbortSignal combined with the task's timeout: aborting the job closes the
 * connection, so vLLM sees the request go away and stops working on it. vLLM's key, when it
 * was started with one, goes with every call.
 */
import { Agent, type FormData } from 'undici';
import { TaskError } from '../errors.ts';
import { parseExactJson } from './exact-json.ts';

/**
 * How long an idle socket to vLLM stays pooled: 4 000 ms. vLLM's uvicorn closes a connection
 * idle for 5 s (`timeout_keep_alive=envs.VLLM_HTTP_TIMEOUT_KEEP_ALIVE`, default 5,
 * vllm/entrypoints/openai/api_server.py, v0.11.0) without a `Keep-Alive` header to say so; the
 * worker retires its sockets first, so that a request does not land on one being closed.
 */
export const ENGINE_KEEP_ALIVE_MS = 4_000;

/**
 * The pool for vLLM. undici's own header and body timeouts (300 s) are off: a video takes
 * up to 900 s, and each call's AbortSignal carries the timeout that applies.
 */
export const engineAgent: Agent = new Agent({
  keepAliveTimeout: ENGINE_KEEP_ALIVE_MS,
  keepAliveMaxTimeout: ENGINE_KEEP_ALIVE_MS,
  headersTimeout: 0,
  bodyTimeout: 0,
});

/** Where vLLM listens and the key it demands. */
export type EngineTarget = {
  /** vLLM's root URL, e.g. `http://127.0.0.1:8000`. */
  baseUrl: string;
  /** Sent as `Authorization: Bearer <key>` (vLLM's `--api-key`). Default: none sent. */
  apiKey?: string | undefined;
};

export type EngineCall = {
  method: 'GET' | 'POST' | 'DELETE';
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
  /**
   * Never sent twice: the call creates engine-side state (a video job), and a second copy
   * would make state whose id the worker never learns. Default: false (a call that went out on
   * a reused socket closed unanswered is sent once more).
   */
  sendOnce?: boolean;
};

export type EngineReply = { status: number; contentType: string; body: Buffer };

/**
 * The message of a vLLM error body, or the body itself, shortened: `{"error": {"message"}}`
 * (vLLM's ErrorResponse), `{"error": "Unauthorized"}` (its api-key middleware), `{"detail"}`
 * (FastAPI's own answers, e.g. a route not served), `{"message"}` (vLLM before 0.10.2).
 */
function errorMessage(body: Buffer): string {
  const text = body.toString('utf8');
  try {
    const parsed = JSON.parse(text) as { message?: unknown; error?: unknown; detail?: unknown };
    const error = parsed.error as { message?: unknown } | string | undefined;
    const nested = typeof error === 'object' && error !== null ? error.message : error;
    const message = parsed.message ?? nested ?? parsed.detail;
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

/**
 * The pooled socket the request went out on closed before any byte of its answer, and that
 * socket had answered an earlier request: the server closed an idle keep-alive socket as the
 * request went out (uvicorn does so without notice), so it never read the request. undici's
 * SocketError ("other side closed", lib/dispatcher/client-h1.js, undici 8.13) carries the
 * socket's `bytesRead`; more than 0 means earlier answers were read on it, as undici sends one
 * request at a time on a socket (pipelining 1). A fresh socket (0 bytes read) may have been
 * closed after the server read the request, and an error without socket info (ECONNRESET,
 * EPIPE) says nothing of the socket: neither is sent again.
 */
function closedReusedSocket(error: unknown): boolean {
  const { code, socket } = (error ?? {}) as { code?: unknown; socket?: { bytesRead?: unknown } };
  const bytesRead = socket?.bytesRead;
  return code === 'UND_ERR_SOCKET' && typeof bytesRead === 'number' && bytesRead > 0;
}

/** Sends `call` to vLLM; a 2xx comes back as bytes, anything else throws a TaskError. */
export async function callEngine(engine: EngineTarget, call: EngineCall): Promise<EngineReply> {
  const { baseUrl } = engine;
  const json = call.json === undefined ? undefined : JSON.stringify(call.json);
  const headers: Record<string, string> = {};
  if (json !== undefined) headers['content-type'] = 'application/json';
  if (engine.apiKey !== undefined) headers.authorization = `Bearer ${engine.apiKey}`;
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
  // Straight to the pool, origin and path as they are: undici's top-level request() would
  // parse them into a URL and back on every call.
  const send = () =>
    engineAgent.request({
      origin: baseUrl,
      path: call.path,
      method: call.method,
      signal,
      body: call.form ?? json ?? null,
      headers,
    });
  let reply: EngineReply;
  try {
    const response = await send().catch((error: unknown) => {
      if (signal.aborted || call.sendOnce === true || !closedReusedSocket(error)) throw error;
      return send();
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
  engine: EngineTarget,
  call: Omit<EngineCall, 'method' | 'form'>,
): Promise<unknown> {
  const reply = await callEngine(engine, { ...call, method: 'POST' });
  try {
    return parseExactJson(reply.body.toString('utf8'));
  } catch (cause) {
    const message = `vLLM answered POST ${call.path} with a body that is not JSON`;
    throw new TaskError('bad_engine_response', message, { cause });
  }
}
