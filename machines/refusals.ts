/**
 * The answers the gate gives jobs that will not run: every `job_error` not sent by a job
 * itself is built here.
 */
import type { FrameRejection, JobFrame, LogParams, OutboundFrame } from './types.ts';

export type RefusalReason = 'at_capacity' | 'draining' | 'engine_unhealthy';

const REASONS: Record<RefusalReason, string> = {
  at_capacity: 'worker at capacity: every slot and waiting place is taken',
  draining: 'worker is draining (shutting down): the job was not started',
  engine_unhealthy: 'vLLM is unhealthy (its /health fails): the job was not started',
};

export const refusals = {
  jobError: (jobId: string, reason: RefusalReason): OutboundFrame => ({
    type: 'job_error',
    job_id: jobId,
    error: REASONS[reason],
    fence_token: 0,
  }),
  invalidJob: (rejection: FrameRejection & { jobId: string }): OutboundFrame => ({
    type: 'job_error',
    job_id: rejection.jobId,
    error: `invalid job frame: ${rejection.detail}`,
    fence_token: rejection.fenceToken ?? 0,
  }),
};

/** A refused job is logged; a persisted one is left to its lease, so the queue re-dispatches it. */
export function refusalLog(job: JobFrame, reason: RefusalReason): LogParams {
  const error = REASONS[reason];
  return {
    level: 'warn',
    message: job.mode === 'persisted' ? `${error}; left to its lease` : error,
    fields: { job_id: job.job_id, config_id: job.config_id, reason },
  };
}

/** A frame the worker could not read is logged with what was wrong and a preview. */
export function rejectionLog(rejection: FrameRejection): LogParams {
  return {
    level: 'warn',
    message: `ignored a frame from the queue: ${rejection.detail}`,
    fields: {
      reason: rejection.reason,
      preview: rejection.preview,
      ...(rejection.jobId ? { job_id: rejection.jobId } : {}),
    },
  };
}
