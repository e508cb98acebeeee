/**
 * How a running job answers the events that are not about its lease or its upload: which end
 * state each reaches, why its work is aborted, which frame goes to the queue, and the outcome
 * it keeps. The job machine builds these transitions from this table (job.machine.ts), and a
 * transient job, which has no lease and no upload, runs the same table as a lighter actor
 * (light-job.ts): one set of rules for both, not a copy.
 */
import { DEFAULTS } from './defaults.ts';
import {
  ABORT_MESSAGES,
  type AbortReason,
  type JobCommand,
  type JobEndedEvent,
  type JobEndState,
  type JobFrame,
  type JobOutcome,
  type OutboundFrame,
  type WorkEvent,
} from './types.ts';

export type JobContext = {
  job: JobFrame;
  jobId: string;
  fenceToken: number;
  /** The token this job's frames carry: the fence token, or 0 for a transient job. */
  frameToken: number;
  resultUploadUrl: string | undefined;
  /** The result, held while it is uploaded (or sent inline when the upload fails). */
  result: unknown;
  renewals: number;
  outcome: JobOutcome | undefined;
};

export function jobContextOf(job: JobFrame): JobContext {
  return {
    job,
    jobId: job.job_id,
    fenceToken: job.fence_token,
    frameToken: job.mode === 'persisted' ? job.fence_token : 0,
    resultUploadUrl: job.result_upload_url,
    result: undefined,
    renewals: 0,
    outcome: undefined,
  };
}

/** Only a persisted job with an upload URL may offload its result (protocol.md). */
export function mayOffload(job: JobFrame): boolean {
  return job.mode === 'persisted' && job.result_upload_url !== undefined;
}

/** Whether a result of `size` bytes (serialised) goes to the job's upload URL. */
export function shouldOffload(job: JobFrame, size: number): boolean {
  return mayOffload(job) && size > DEFAULTS.offloadThresholdBytes;
}

type FrameContext = Pick<JobContext, 'jobId' | 'frameToken'>;

export function progressFrame(
  context: FrameContext,
  params: { progress?: number; message?: string },
): OutboundFrame {
  return {
    type: 'job_progress',
    job_id: context.jobId,
    fence_token: context.frameToken,
    // Stryker disable next-line ConditionalExpression: JSON leaves `progress: undefined` out too
    ...(params.progress === undefined ? {} : { progress: params.progress }),
    status_message: params.message ?? 'processing',
  };
}

export function resultFrame(context: FrameContext, result: unknown): OutboundFrame {
  return {
    type: 'job_result',
    job_id: context.jobId,
    result: result as never,
    fence_token: context.frameToken,
  };
}

export function errorFrame(context: FrameContext, message: string): OutboundFrame {
  return {
    type: 'job_error',
    job_id: context.jobId,
    error: message,
    fence_token: context.frameToken,
  };
}

/** What a job tells its owner (the gate) when it reaches an end state. */
export function endedEvent(
  context: Pick<JobContext, 'jobId' | 'fenceToken' | 'outcome'>,
  state: JobEndState,
): JobEndedEvent {
  return {
    type: 'JOB_ENDED',
    state,
    jobId: context.jobId,
    fenceToken: context.fenceToken,
    outcome: context.outcome!,
    endedAt: Date.now(),
  };
}

/** The events a running job takes by these rules. */
export type RuledEvent = WorkEvent | JobCommand;
export type RuledType = RuledEvent['type'];
type EventOf<K extends RuledType> = Extract<RuledEvent, { type: K }>;

/** What a running job does on one event. */
export type JobRule<E extends RuledEvent> = {
  /** The end state it reaches; none: it runs on. */
  end?: JobEndState;
  /** Why its work is aborted: the event comes from outside the work, which may still run. */
  abort?: AbortReason;
  /** The frame that goes to the queue; none: nothing is sent. */
  frame?: (context: FrameContext, event: E) => OutboundFrame;
  /** The outcome it keeps (with an end). */
  outcome?: (event: E) => JobOutcome;
};

const aborted = (reason: AbortReason) => (): JobOutcome => ({ kind: 'aborted', reason });
const failed = (event: { message: string }): JobOutcome => ({
  kind: 'error',
  message: event.message,
});
const withError = (context: FrameContext, event: { message: string }) =>
  errorFrame(context, event.message);

/**
 * A running job's rules: each event's effect where neither a lease nor an upload is involved,
 * that is all of a transient job's life. A persisted job's machine adds its own branches in
 * front (offload a large result, leave a cut-off job to its lease) and its renewals.
 */
export const JOB_RULES: { [K in RuledType]: JobRule<EventOf<K>> } = {
  WORK_PROGRESS: { frame: progressFrame },
  WORK_SUCCEEDED: {
    end: 'result',
    frame: (context, event) => resultFrame(context, event.result),
    outcome: () => ({ kind: 'result', delivery: 'inline' }),
  },
  WORK_FAILED: { end: 'error', frame: withError, outcome: failed },
  JOB_REVOKED: { end: 'revoked', abort: 'revoked', outcome: aborted('revoked') },
  JOB_SUPERSEDED: { end: 'superseded', abort: 'superseded', outcome: aborted('superseded') },
  // A transient job's caller waits for an answer: it gets the error that says why.
  JOB_INTERRUPTED: {
    end: 'interrupted',
    abort: 'shutdown',
    frame: (context) => errorFrame(context, ABORT_MESSAGES.shutdown),
    outcome: aborted('shutdown'),
  },
  JOB_FAILED: { end: 'failed', abort: 'engine_failed', frame: withError, outcome: failed },
};

/** The rule for an event, if it is one the rules cover. */
export function ruleFor(type: string): JobRule<RuledEvent> | undefined {
  return Object.hasOwn(JOB_RULES, type)
    ? (JOB_RULES[type as RuledType] as JobRule<RuledEvent>)
    : undefined;
}
