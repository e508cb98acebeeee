/**
 * The `job` frame a worker gets: exactly protocol.md's fields, with the payload behind
 * `payload_url` when the job is offloaded and a `result_upload_url` for persisted jobs that
 * may upload their result.
 */
import type { JobFrame } from '../../protocol/index.ts';
import type { QueueJob } from './jobs.ts';

/** Where the queue's own HTTP server serves offloaded payloads and takes uploaded results. */
export type OffloadUrls = {
  payload(jobId: string): string;
  result(jobId: string, fenceToken: number): string;
};

/** `httpUrl` is read when a frame is built: the port is known only once the queue listens. */
export function offloadUrls(httpUrl: () => string): OffloadUrls {
  return {
    payload: (jobId) => `${httpUrl()}/offload/payload/${encodeURIComponent(jobId)}`,
    result: (jobId, fenceToken) =>
      `${httpUrl()}/offload/result/${encodeURIComponent(jobId)}/${fenceToken}`,
  };
}

export function buildJobFrame(
  job: QueueJob,
  urls: OffloadUrls,
  resultUploadUrls: boolean,
): JobFrame {
  const persisted = job.mode === 'persisted';
  return {
    type: 'job',
    job_id: job.id,
    mode: job.mode,
    config_id: job.configId ?? '',
    fence_token: job.fenceToken,
    payload: job.offload ? {} : job.payload,
    ...(job.offload ? { payload_url: urls.payload(job.id) } : {}),
    ...(persisted && (job.offload || resultUploadUrls)
      ? { result_upload_url: urls.result(job.id, job.fenceToken) }
      : {}),
  };
}
