/**
 * The gate's record of running jobs, and what it reports when one ends: the only record of
 * running jobs in the worker (the status page, metrics and logs read it from the gate).
 */
import { type JobRecord, withEntry } from './records.ts';
import type { AbortReason, JobEndState, JobFrame, JobOutcome, LogParams } from './types.ts';

/** A running job as the gate holds it. */
export type RunningJob = {
  mode: JobFrame['mode'];
  fenceToken: number;
  /** `payload.task`; `offloaded` when the payload sits behind payload_url; `none` when unnamed. */
  task: string;
  /** Epoch ms. */
  startedAt: number;
  /** Told to end (revoked, cut off, failed): it runs until its end comes back. */
  ending?: true;
};

/** How a job ended, as a metric and log label: `result`, `error`, or why it was aborted. */
export type OutcomeLabel = 'result' | 'error' | AbortReason;

/** What the gate emits (XState `emit`) when a run ends; the status page listens for it. */
export type JobEndedReport = RunningJob & {
  type: 'jobEnded';
  jobId: string;
  /** The job machine's end state. */
  state: JobEndState;
  outcome: OutcomeLabel;
  /** The error sent to the queue, when there was one. */
  error: string | undefined;
  durationMs: number;
  /** Epoch ms. */
  endedAt: number;
};

export function outcomeLabel(outcome: JobOutcome): OutcomeLabel {
  return outcome.kind === 'aborted' ? outcome.reason : outcome.kind;
}

export function taskOf(job: JobFrame): string {
  const task = (job.payload as { task?: unknown } | null)?.task;
  if (typeof task === 'string' && task !== '') return task;
  return job.payload_url === undefined ? 'none' : 'offloaded';
}

export function withRun(running: JobRecord<RunningJob>, job: JobFrame): JobRecord<RunningJob> {
  return withEntry(running, job.job_id, {
    mode: job.mode,
    fenceToken: job.fence_token,
    task: taskOf(job),
    startedAt: Date.now(),
  });
}

export function endReport(
  jobId: string,
  run: RunningJob,
  end: { state: JobEndState; outcome: JobOutcome; endedAt: number },
): JobEndedReport {
  const { outcome, endedAt } = end;
  const { ending: _, ...fields } = run;
  return {
    type: 'jobEnded',
    jobId,
    ...fields,
    state: end.state,
    outcome: outcomeLabel(outcome),
    error: outcome.kind === 'error' ? outcome.message : undefined,
    durationMs: endedAt - run.startedAt,
    endedAt,
  };
}

const ENDINGS: Record<OutcomeLabel, { level: LogParams['level']; message: string }> = {
  result: { level: 'info', message: 'job done' },
  error: { level: 'warn', message: 'job failed' },
  revoked: { level: 'info', message: 'job revoked by the queue' },
  superseded: { level: 'info', message: 'job superseded by a newer dispatch' },
  shutdown: { level: 'warn', message: 'job cut off by shutdown' },
  engine_failed: { level: 'warn', message: 'job failed: vLLM failed' },
  engine_unhealthy: {
    level: 'warn',
    message: 'job given up: vLLM stayed unhealthy; left to its lease, for the queue to re-dispatch',
  },
};

/** The one log line of a job's end: id, task, mode, outcome, duration (and the error). */
export function endLog(report: JobEndedReport): LogParams {
  const { level, message } = ENDINGS[report.outcome];
  return {
    level,
    message: report.error === undefined ? message : `${message}: ${report.error}`,
    fields: {
      job_id: report.jobId,
      task: report.task,
      mode: report.mode,
      outcome: report.outcome,
      duration_ms: report.durationMs,
      ...(report.error === undefined ? {} : { error: report.error }),
    },
  };
}

/** A job's start, at debug level: the end line says the rest. */
export function startLog(job: JobFrame): LogParams {
  return {
    level: 'debug',
    message: 'job started',
    fields: { job_id: job.job_id, task: taskOf(job), mode: job.mode, fence_token: job.fence_token },
  };
}
