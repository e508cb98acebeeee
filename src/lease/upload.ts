/**
 * The `upload` actor of a lease: PUTs a large result to the job's presigned result_upload_url.
 * Any failure (status, network, timeout) rejects, and the lease falls back to sending inline.
 */
import { request } from 'undici';
import { fromPromise } from 'xstate';
import type { UploadInput } from '../../machines/lease.machine.ts';
import { resultJson } from '../jobs/result-json.ts';

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
  const response = await request(input.url, {
    method: 'PUT',
    headers: { 'content-type': 'application/json' },
    body: resultJson(input.result),
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
