/**
 * The one outbound path for the worker's reports (heartbeats, logs, metrics): a JSON POST
 * with a bearer token and a timeout. It never throws: a refused connection, a timeout or a
 * non-2xx answer comes back as data, with a reason that names the URL's status and never a
 * header, so callers can log it without leaking the token.
 */
import { request } from 'undici';

export type PostJsonOptions = {
  /** Absolute http(s) URL to POST to. */
  url: string;
  /** Sent as `Authorization: Bearer <token>` when set. Never logged. */
  token?: string | undefined;
  /** Serialized with `JSON.stringify`. */
  body: unknown;
  /** Abort after this many milliseconds (headers and body together). */
  timeoutMs: number;
};

export type PostJsonResult =
  | { ok: true; status: number }
  | {
      ok: false;
      /** HTTP status when the server answered (non-2xx), absent when it never did. */
      status?: number;
      /** What went wrong, fit for a log line: never contains request headers. */
      reason: string;
    };

/** How much of a rejected answer's body is read before giving up on it (bytes). */
export const DISCARD_LIMIT = 64 * 1024;

export async function postJson(options: PostJsonOptions): Promise<PostJsonResult> {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (options.token) headers.authorization = `Bearer ${options.token}`;
  const signal = AbortSignal.timeout(options.timeoutMs);
  try {
    const response = await request(options.url, {
      method: 'POST',
      headers,
      body: JSON.stringify(options.body),
      signal,
    });
    await response.body.dump({ limit: DISCARD_LIMIT, signal });
    const status = response.statusCode;
    if (status >= 200 && status < 300) return { ok: true, status };
    return { ok: false, status, reason: `HTTP ${status}` };
  } catch (error) {
    if (signal.aborted) return { ok: false, reason: `no answer within ${options.timeoutMs} ms` };
    return { ok: false, reason: describeFailure(error) };
  }
}

/** The error's message plus its cause's (undici wraps socket errors), never headers. */
export function describeFailure(error: unknown): string {
  const cause = error instanceof Error && error.cause instanceof Error ? error.cause : undefined;
  const message = error instanceof Error ? error.message : String(error);
  return cause ? `${message} (${cause.message})` : message;
}
