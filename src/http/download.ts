/**
 * Fetching a task's input files (audio_url, image_url): http(s) only, redirects followed,
 * bounded in size and time, aborted with the job.
 */
import { Agent, interceptors, request } from 'undici';
import { TaskError } from '../errors.ts';

/** Largest download accepted by default: 64 MiB. */
export const DEFAULT_MAX_DOWNLOAD_BYTES = 64 * 1024 * 1024;

/** Downloads have their own pool: they go to arbitrary hosts, vLLM's pool stays local. */
const downloadAgent = new Agent({ headersTimeout: 0, bodyTimeout: 0 }).compose(
  interceptors.redirect({ maxRedirections: 5 }),
);

export type DownloadOptions = {
  /** The payload field the URL came from, for messages (e.g. `image_url`). */
  field: string;
  /** The most the whole download may take, in ms. */
  timeoutMs: number;
  /** The job's signal: aborting it aborts the download. */
  signal: AbortSignal;
  /** Largest body accepted, in bytes. Default 64 MiB. */
  maxBytes?: number;
};

export type Downloaded = {
  bytes: Buffer;
  /** The media type of the Content-Type header (no parameters, lower case), when sent. */
  contentType: string | undefined;
};

/** `64 MiB`, or bytes when not a whole number of MiB. */
function describeSize(bytes: number): string {
  const mib = bytes / (1024 * 1024);
  return Number.isInteger(mib) ? `${mib} MiB` : `${bytes} bytes`;
}

/** The URL without its query: presigned URLs carry credentials there. */
function describeUrl(url: URL): string {
  return `${url.origin}${url.pathname}`;
}

function tooLarge(options: DownloadOptions, url: URL, limit: number): TaskError {
  const message = `${options.field} ${describeUrl(url)} is larger than the ${describeSize(limit)} download limit`;
  return new TaskError('download_failed', message);
}

async function readBounded(
  body: AsyncIterable<Buffer>,
  limit: number,
  onTooLarge: () => TaskError,
): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body) {
    size += chunk.length;
    if (size > limit) throw onTooLarge();
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}

function failure(options: DownloadOptions, url: URL, timeout: AbortSignal, cause: unknown) {
  if (cause instanceof TaskError) return cause;
  const what = `${options.field} ${describeUrl(url)}`;
  if (options.signal.aborted) {
    return new TaskError('aborted', `job aborted while downloading ${what}`, { cause });
  }
  if (timeout.aborted) {
    const message = `download of ${what} took longer than ${options.timeoutMs / 1000} s`;
    return new TaskError('timeout', message, { cause });
  }
  const reason = cause instanceof Error ? cause.message : String(cause);
  return new TaskError('download_failed', `could not download ${what}: ${reason}`, { cause });
}

export async function download(rawUrl: string, options: DownloadOptions): Promise<Downloaded> {
  const url = new URL(rawUrl);
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    const message = `${options.field} must be an http or https URL, not ${url.protocol}`;
    throw new TaskError('download_failed', message);
  }
  const limit = options.maxBytes ?? DEFAULT_MAX_DOWNLOAD_BYTES;
  const timeout = AbortSignal.timeout(options.timeoutMs);
  const signal = AbortSignal.any([options.signal, timeout]);
  try {
    const response = await request(url, { dispatcher: downloadAgent, signal });
    if (response.statusCode >= 300) {
      await response.body.dump();
      const message = `could not download ${options.field} ${describeUrl(url)}: HTTP ${response.statusCode}`;
      throw new TaskError('download_failed', message);
    }
    if (Number(response.headers['content-length'] ?? 0) > limit) {
      // dump() drops the body (and the connection when it is large) without an unheard error.
      await response.body.dump();
      throw tooLarge(options, url, limit);
    }
    // Leaving the loop early destroys the body, so an over-long chunked body stops here.
    const bytes = await readBounded(response.body, limit, () => tooLarge(options, url, limit));
    const [type] = String(response.headers['content-type'] ?? '').split(';');
    return { bytes, contentType: type?.trim().toLowerCase() || undefined };
  } catch (error) {
    throw failure(options, url, timeout, error);
  }
}
