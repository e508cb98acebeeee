/**
 * Types shared by the machines. Type-only imports from src/ are erased at compile time, so the
 * machines stay pure (xstate at run time, nothing else).
 */
import type { JobFrame, QueueFrame, WorkerFrameInput } from '../src/protocol/frames.ts';
import type { FrameRejection } from '../src/protocol/parse.ts';

export type { FrameRejection, JobFrame, QueueFrame };

/** A frame on its way to the queue; defaults (capacity, fence token) may be left out. */
export type OutboundFrame = WorkerFrameInput;

/** Why a job's work was stopped before it finished. */
export type AbortReason =
  /** The queue took the job back (`job_revoked`): send nothing more for it. */
  | 'revoked'
  /** A newer dispatch of the same job (higher fence token) replaced this run. */
  | 'superseded'
  /** Shutdown's grace period ran out before the job finished. */
  | 'shutdown'
  /** vLLM failed; the job ends with a `job_error` naming the cause. */
  | 'engine_failed'
  /** vLLM stayed unhealthy too long: a persisted job is left to its lease, to be re-dispatched. */
  | 'engine_unhealthy';

/** What the job's handler sees as `signal.reason.message`, and a cut-off transient job's error. */
export const ABORT_MESSAGES = {
  revoked: 'the queue revoked the job (lease lost, cancelled or re-dispatched)',
  superseded: 'a newer dispatch of the same job replaced this run',
  shutdown: 'the worker shut down before the job finished',
  engine_failed: 'vLLM failed while the job ran',
  engine_unhealthy: 'vLLM stayed unhealthy while the job ran',
} as const satisfies Record<AbortReason, string>;

/** How a job ended, as data. */
export type JobOutcome =
  | { kind: 'result'; delivery: 'inline' | 'offloaded' }
  | { kind: 'error'; message: string }
  | { kind: 'aborted'; reason: AbortReason };

/** Events a job's work sends to its job. */
export type WorkEvent =
  /** `size`: the result's size serialised as JSON, in UTF-8 bytes (it decides offloading). */
  | { type: 'WORK_SUCCEEDED'; jobId: string; result: unknown; size: number }
  | { type: 'WORK_FAILED'; jobId: string; message: string }
  | { type: 'WORK_PROGRESS'; jobId: string; progress?: number; message?: string };

/** The event every machine sends to the connection to put a frame on the wire. */
export type SendFrameEvent = { type: 'SEND'; frame: OutboundFrame };

/** Log requests from a machine; src/ supplies the logger. */
export type LogParams = {
  level: 'debug' | 'info' | 'warn' | 'error';
  message: string;
  fields?: Record<string, unknown>;
};

/** What the gate tells a running job. */
export type JobCommand =
  /** The queue's `job_revoked`. */
  | { type: 'JOB_REVOKED'; reason: string }
  /** A newer dispatch of this job replaced this run. */
  | { type: 'JOB_SUPERSEDED' }
  /**
   * Shutdown's grace period ran out (`shutdown`, the default), or vLLM stayed unhealthy
   * (`engine_unhealthy`, sent to persisted jobs only).
   */
  | { type: 'JOB_INTERRUPTED'; reason?: 'shutdown' | 'engine_unhealthy' }
  /** vLLM failed; the job ends with an error naming the cause. */
  | { type: 'JOB_FAILED'; message: string };

/** The states a job ends in (job.machine.ts), each tagged `ended`. */
export type JobEndState = 'result' | 'error' | 'revoked' | 'superseded' | 'interrupted' | 'failed';

/** What a job tells the gate when it is over. */
export type JobEndedEvent = {
  type: 'JOB_ENDED';
  /** The state it ended in. */
  state: JobEndState;
  jobId: string;
  fenceToken: number;
  outcome: JobOutcome;
  /** Epoch ms. */
  endedAt: number;
};
