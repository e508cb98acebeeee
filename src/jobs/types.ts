/**
 * What a job handler sees: the SDK's counterpart of the reference `on_job`.
 */

import type { Logger } from '../observability/logger.ts';
import type { JsonValue } from '../protocol/frames.ts';

export type Job = {
  id: string;
  mode: 'transient' | 'persisted';
  configId: string;
  /** The inline payload, or the one fetched from `payload_url`. */
  payload: JsonValue;
  /** The token every frame about this job carries (0 for transient jobs). */
  fenceToken: number;
};

export type JobContext = {
  /**
   * Aborted when the queue revokes the job, a newer dispatch supersedes it, or the worker is
   * forced to stop; `signal.reason` is a JobAbortedError naming which.
   */
  signal: AbortSignal;
  /** Reports progress; for a persisted job it also renews the lease. */
  progress(value?: number, message?: string): void;
  /** A child logger carrying job_id and config_id. */
  logger: Logger;
};

/** Returns the job's result (any JSON value) or throws; the message becomes the job_error. */
export type JobHandler = (job: Job, context: JobContext) => unknown;
