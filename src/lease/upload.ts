/**
 * The `upload` actor of a persisted job: PUTs a large result to the job's presigned result_upload_url.
 * Any failure (status, network, timeout) rejects, and the job falls back to sending inline.
 *
 * The JSON text is streamed, never held whole: a first pass counts its bytes (presigned PUTs
 * want a Content-Length), the second writes it chunk by chunk as the socket takes it.
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
  const response = await request(input.url, {
    method: 'PUT',
    headers: { 'content-type': 'application/json', 'content-length': String(length) },
    body: Readable.from(jsonChunks(input.result), { objectMode: false }),
    signal: AbortSignal.any([signal, AbortSignal.timeout(timeoutMs)]),
  });
  await response.body.dump();
  if (response.statusCode < 200 || response.statusCode >= 300) {
    throw new Error(`result upload answered HTTP ${response.statusCode}`);
  }
}

export function createUploadActor(options: UploadOptions = {}) {
  return fromPromise<void, UploadInput>(({ input, signal }) =>
    uploadResult(input, signal, options),
  );
}
