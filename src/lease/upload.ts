/**
 * The `upload` actor of a persisted job: PUTs a large result to the job's presigned result_upload_url.
 * Any failure (status, network, timeout) rejects, and the job falls back to sending inline.
 *
 * The JSON text is streamed, never held whole: a first pass counts its bytes (presigned PUTs
 * want a Content-Length), the second writes it chunk by chunk as the socket takes it. An answer
 * that comes before the whole body was taken (a 200 from a server that does not read) is a
 * failure: the result is not there.
 */
import { Readable } from 'node:stream';
import { request } from 'undici';
import { fromPromise } from 'xstate';
import { DEFAULTS } from '../../machines/defaults.ts';
import type { UploadInput } from '../../machines/job.machine.ts';
import { jsonByteLength, jsonChunks } from '../jobs/json-stream.ts';

export type UploadOptions = {
  /** Whole upload, request to response, in ms. Default DEFAULTS.uploadTimeoutMs (60 s). */
  timeoutMs?: number;
};

export async function uploadResult(
  input: UploadInput,
  signal: AbortSignal,
  options: UploadOptions = {},
): Promise<void> {
  const timeoutMs = options.timeoutMs ?? DEFAULTS.uploadTimeoutMs;
  const length = jsonByteLength(input.result);
  const body = { state: 'sending' as 'sending' | 'sent' };
  const response = await request(input.url, {
    method: 'PUT',
    headers: { 'content-type': 'application/json', 'content-length': String(length) },
    body: Readable.from(sendAll(jsonChunks(input.result), body), { objectMode: false }),
    signal: AbortSignal.any([signal, AbortSignal.timeout(timeoutMs)]),
  });
  await response.body.dump();
  if (response.statusCode < 200 || response.statusCode >= 300) {
    throw new Error(`result upload answered HTTP ${response.statusCode}`);
  }
  if (body.state !== 'sent') {
    throw new Error(
      `result upload answered HTTP ${response.statusCode} before taking the whole result (${length} bytes)`,
    );
  }
}

/** The chunks, then `sent` once the last one has been taken. */
function* sendAll(
  chunks: Iterable<string>,
  body: { state: 'sending' | 'sent' },
): Generator<string> {
  yield* chunks;
  body.state = 'sent';
}

export function createUploadActor(options: UploadOptions = {}) {
  return fromPromise<void, UploadInput>(({ input, signal }) =>
    uploadResult(input, signal, options),
  );
}
