/**
 * A GET that reads a small text body (vLLM's Prometheus `/metrics`), with a timeout. Never
 * throws: an unreachable server or a non-2xx answer comes back as data.
 */
import { request } from 'undici';
import { DISCARD_LIMIT, describeFailure } from './post-json.ts';

export type GetTextResult =
  | { ok: true; status: number; text: string }
  | { ok: false; status?: number; reason: string };

/**
 * @param url absolute http(s) URL.
 * @param timeoutMs abort after this many milliseconds (headers and body together).
 * @param token sent as `Authorization: Bearer <token>` when set (vLLM's `--api-key`); never logged.
 */
export async function getText(
  url: string,
  timeoutMs: number,
  token?: string,
): Promise<GetTextResult> {
  const signal = AbortSignal.timeout(timeoutMs);
  const headers = token === undefined ? {} : { authorization: `Bearer ${token}` };
  try {
    const response = await request(url, { method: 'GET', signal, headers });
    const status = response.statusCode;
    if (status < 200 || status >= 300) {
      await response.body.dump({ limit: DISCARD_LIMIT, signal });
      return { ok: false, status, reason: `HTTP ${status}` };
    }
    return { ok: true, status, text: await response.body.text() };
  } catch (error) {
    if (signal.aborted) return { ok: false, reason: `no answer within ${timeoutMs} ms` };
    return { ok: false, reason: describeFailure(error) };
  }
}
