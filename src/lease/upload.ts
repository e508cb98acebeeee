/**
 * The `upload` actor of a lease: PUTs a large result to the job's presigned result_upload_url.
 * Any failure (status, network, timeout) rejects, and the lease falls back to sending inline.
 *
 * The JSON text is streamed, never held whole: a first pass counts its bytes (presigned PUTs
 * want a Content-Length), the second writes it chunk by chunk as the socket takes it.
 */
import { Readable } from 'node:stream';
import { request } from 'undici';
import { fromPromise } from 'xstate';
import type { UploadInput } from '../../machines/lease.machine.ts';
import { jsonByteLength, jsonChunks } from '../jobs/json-stream.ts';

export type UploadOptions = {
  /** Whole upload, request to response. Default 60 000 ms (protocol.md). */
  timeoutMs?: number;
};

export async function uploadResult(
  input: UploadInput,
  signal: AbortSignal,
  options: UploadOptions = {},
): Promise<void> {
  const timeoutMs = options.timeoutMs ?? 60_000;
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
