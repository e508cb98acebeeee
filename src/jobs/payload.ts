/**
 * Offloaded payloads: when a job carries `payload_url`, the real payload is JSON behind it.
 */
import { Agent, interceptors, request } from 'undici';
import { PayloadFetchError } from '../errors.ts';
import type { JsonValue } from '../protocol/frames.ts';

/**
 * Presigned URLs point at object storage: it may redirect (a region's endpoint) and serves an
 * object stored with `Content-Encoding: gzip` as it is. Both are followed here; the size limit
 * counts the decoded bytes.
 */
const payloadAgent = new Agent({ headersTimeout: 0, bodyTimeout: 0 }).compose(
  interceptors.redirect({ maxRedirections: 5 }),
  interceptors.decompress(),
);

export type PayloadFetchOptions = {
  /** Whole download, headers to last byte. Default 30 000 ms (protocol.md). */
  timeoutMs?: number;
  /** Largest payload accepted. Default 64 MiB. */
  maxBytes?: number;
};

export async function fetchPayload(
  url: string,
  signal: AbortSignal,
  options: PayloadFetchOptions = {},
): Promise<JsonValue> {
  const { timeoutMs = 30_000, maxBytes = 64 * 1024 * 1024 } = options;
  const fail = (why: string, cause?: unknown) =>
    new PayloadFetchError(`could not fetch the job's payload from payload_url: ${why}`, { cause });
  let body: string;
  try {
    const response = await request(url, {
      method: 'GET',
      dispatcher: payloadAgent,
      signal: AbortSignal.any([signal, AbortSignal.timeout(timeoutMs)]),
    });
    if (response.statusCode !== 200) {
      await response.body.dump();
      throw fail(`HTTP ${response.statusCode}`);
    }
    const declared = Number(response.headers['content-length'] ?? 0);
    if (declared > maxBytes) {
      await response.body.dump();
      throw fail(`${declared} bytes is over the ${maxBytes}-byte limit`);
    }
    body = await readBounded(response.body, maxBytes, fail);
  } catch (error) {
    if (error instanceof PayloadFetchError || signal.aborted) throw error;
    const why =
      (error as Error).name === 'TimeoutError' ? `no answer within ${timeoutMs} ms` : String(error);
    throw fail(why, error);
  }
  try {
    // A byte order mark is not JSON, but editors and some exporters write one.
    return JSON.parse(body.startsWith('\uFEFF') ? body.slice(1) : body) as JsonValue;
  } catch (error) {
    throw fail('the body is not JSON', error);
  }
}

async function readBounded(
  body: AsyncIterable<Buffer>,
  maxBytes: number,
  fail: (why: string) => Error,
): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body) {
    size += chunk.length;
    if (size > maxBytes) throw fail(`the body is over the ${maxBytes}-byte limit`);
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}
