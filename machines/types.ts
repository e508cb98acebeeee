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
  | 'engine_failed';

/** How a job ended, as data. */
export type JobOutcome =
  | { kind: 'result'; delivery: 'inline' | 'offloaded' }
  | { kind: 'error'; message: string }
  | { kind: 'aborted'; reason: AbortReason };

/** Events a job's work actor sends to whoever runs it (a lease, or the worker for transient jobs). */
export type WorkEvent =
  /** `size`: the result's size serialised as JSON, in UTF-8 bytes (it decides offloading). */
  | { type: 'WORK_SUCCEEDED'; jobId: string; result: unknown; size: number }
  | { type: 'WORK_FAILED'; jobId: string; message: string }
  | { type: 'WORK_PROGRESS'; jobId: string; progress?: number; message?: string };

/** Events a job's work actor accepts. */
export type WorkCommand = { type: 'ABORT'; reason: AbortReason; message?: string };

/** The event every machine sends to the connection to put a frame on the wire. */
export type SendFrameEvent = { type: 'SEND'; frame: OutboundFrame };

/** Log requests from a machine; src/ supplies the logger. */
export type LogParams = {
  level: 'debug' | 'info' | 'warn' | 'error';
  message: string;
  fields?: Record<string, unknown>;
};

/** What a lease or a transient job actor tells the worker when the job is over. */
export type JobEndedEvent = {
  type: 'JOB_ENDED';
  jobId: string;
  fenceToken: number;
  outcome: JobOutcome;
};
