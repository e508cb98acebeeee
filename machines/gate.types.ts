/**
 * The gate machine's types, and the pure helpers its guards and actions use: its input,
 * context and events, the re-delivery rule, the reports of a run's end.
 */
import { type RecentJobs, recentToken } from './recent-jobs.ts';
import type { JobRecord } from './records.ts';
import { endReport, type RunningJob } from './running-jobs.ts';
import type { FrameRejection, JobEndedEvent, JobFrame } from './types.ts';

export type GateInput = {
  /** Jobs run at once; as many more may wait for a slot. */
  capacity: number;
  /** Pause when vLLM's waiting requests exceed this. Default 0. */
  pauseThreshold?: number;
  /** Resume when they fall to this or below. Default 0. */
  resumeThreshold?: number;
  /** Settled jobs remembered to recognise re-deliveries. Default 1 000. */
  memorySize?: number;
};

export type GateContext = {
  capacity: number;
  pauseThreshold: number;
  resumeThreshold: number;
  /** Running jobs, by job id: the only record of them in the worker. */
  running: JobRecord<RunningJob>;
  /** Admitted jobs waiting for a slot, oldest first; at most `capacity`. */
  waiting: JobFrame[];
  /** The last `memorySize` settlements (job id → fence token), to recognise re-deliveries. */
  settled: RecentJobs;
  memorySize: number;
};

export type GateEvent =
  | { type: 'JOB_OFFERED'; job: JobFrame }
  /** The queue's `job_revoked`. */
  | { type: 'JOB_REVOKED'; jobId: string; reason?: string }
  /** A `job` frame that failed validation but names its job: someone waits for an answer. */
  | { type: 'JOB_REJECTED'; rejection: RejectedJob }
  | JobEndedEvent
  | { type: 'BACKPRESSURE_READING'; waiting: number }
  | { type: 'PAUSE_REQUESTED' }
  | { type: 'RESUME_REQUESTED' }
  | { type: 'DRAIN' }
  /** Shutdown's grace period ran out: every running job is cut off. */
  | { type: 'INTERRUPT_JOBS' }
  /** vLLM failed: every running job ends with an error naming the cause. */
  | { type: 'FAIL_JOBS'; message: string }
  /** vLLM's /health fails: the queue is told `pause`, and offered jobs are refused. */
  | { type: 'ENGINE_UNHEALTHY' }
  /** vLLM's /health answers 200 again: `resume`, unless someone else had paused. */
  | { type: 'ENGINE_RECOVERED' }
  /**
   * vLLM stayed unhealthy too long: transient jobs end with `message` as their error;
   * persisted ones stop renewing and send nothing, so the queue re-dispatches them.
   */
  | { type: 'ABANDON_JOBS'; message: string };

/** What the gate tells its parent. */
export type GateNotice = { type: 'GATE_DRAINED' };

export type RejectedJob = FrameRejection & { jobId: string };
export type OfferEvent = Extract<GateEvent, { type: 'JOB_OFFERED' }>;
export type OfferParams = { job: JobFrame };
export type EndArgs = { context: GateContext; event: JobEndedEvent };
/** The report of the run that just told its end. */
export const reportOfEnd = ({ context, event }: EndArgs) =>
  endReport(event.jobId, context.running[event.jobId]!, event);

/** The report of the run a newer dispatch replaces. */
export const reportOfSuperseded = ({
  context,
  event,
}: {
  context: GateContext;
  event: OfferEvent;
}) =>
  endReport(event.job.job_id, context.running[event.job.job_id]!, {
    state: 'superseded',
    outcome: { kind: 'aborted', reason: 'superseded' },
    endedAt: Date.now(),
  });

/** A job already running, waiting or settled under this token or a newer one. */
export function isRedelivery(context: GateContext, job: JobFrame): boolean {
  const token = job.fence_token;
  const running = context.running[job.job_id]?.fenceToken;
  const settled = recentToken(context.settled, job.job_id, context.memorySize);
  if (running !== undefined && running >= token) return true;
  if (settled !== undefined && settled >= token) return true;
  return context.waiting.some((w) => w.job_id === job.job_id && w.fence_token >= token);
}
