/**
 * A worker's word on a job: results, result refs, errors and progress. Persisted jobs are
 * fenced (the frame must carry the job's current token); transient ones only need to be
 * running on the same worker. Whatever is refused is answered with an `error` frame and
 * recorded, and never overwrites an outcome already accepted.
 */
import type {
  JobErrorFrame,
  JobProgressFrame,
  JobResultFrame,
  JobResultRefFrame,
} from '../../protocol/index.ts';
import type { EventLog } from './event-log.ts';
import type { OutcomeRejection } from './events.ts';
import type { JobOutcome, JobStore, QueueJob } from './jobs.ts';
import type { ResultUploads } from './offload.ts';
import type { Scheduler } from './scheduler.ts';
import type { FrameSender } from './send.ts';
import { saysUnsupportedTask, taskOf } from './task-support.ts';
import type { QueueConnection, WorkerRegistry } from './workers.ts';

export type OutcomeDeps = {
  workers: WorkerRegistry;
  jobs: JobStore;
  scheduler: Scheduler;
  sender: FrameSender;
  events: EventLog;
  uploads: ResultUploads;
};

type OutcomeFrame = JobResultFrame | JobResultRefFrame | JobErrorFrame;

export function handleOutcome(
  deps: OutcomeDeps,
  connection: QueueConnection,
  frame: OutcomeFrame,
): void {
  const job = admitted(deps, connection, frame);
  if (job === undefined) return;
  const outcome = outcomeOf(deps, frame, job);
  if (outcome === undefined) {
    reject(deps, connection, frame, job, 'no_upload');
    return;
  }
  deps.events.record({
    kind: 'outcome_accepted',
    jobId: job.id,
    workerId: connection.workerId!,
    fenceToken: frame.fence_token,
    status: outcome.status,
    via: frame.type,
  });
  if (frame.type === 'job_result_ref') {
    deps.sender.send(connection, { type: 'job_result_ref', job_id: frame.job_id });
  }
  deps.uploads.clear(job.id);
  if (frame.type === 'job_error' && saysUnsupportedTask(frame.error)) {
    const task = taskOf(job.payload);
    if (task !== undefined) deps.workers.get(connection.workerId!)?.unsupportedTasks.add(task);
  }
  deps.scheduler.settle(job, outcome);
}

/** Renews a persisted job's lease when the progress carries its current token. */
export function handleProgress(
  deps: OutcomeDeps,
  connection: QueueConnection,
  frame: JobProgressFrame,
): void {
  const job = admitted(deps, connection, frame);
  if (job === undefined) return;
  if (job.mode === 'persisted' && deps.scheduler.renew(job)) {
    deps.events.record({
      kind: 'lease_renewed',
      jobId: job.id,
      workerId: connection.workerId!,
      fenceToken: frame.fence_token,
    });
  }
}

/** The frame's job when this worker may speak for it; otherwise the refusal is sent and logged. */
function admitted(
  deps: OutcomeDeps,
  connection: QueueConnection,
  frame: OutcomeFrame | JobProgressFrame,
): QueueJob | undefined {
  const job = deps.jobs.get(frame.job_id);
  const refusal = checkFrame(job, connection.workerId, frame.fence_token);
  if (refusal === undefined) return job;
  reject(deps, connection, frame, job, refusal);
  return undefined;
}

function checkFrame(
  job: QueueJob | undefined,
  workerId: string | undefined,
  fenceToken: number,
): OutcomeRejection | undefined {
  if (workerId === undefined) return 'not_registered';
  if (job === undefined) return 'unknown_job';
  if (job.status === 'completed' || job.status === 'failed') return 'already_settled';
  if (job.mode === 'persisted' && fenceToken !== job.fenceToken) return 'stale_token';
  if (job.status !== 'running') return 'not_running';
  if (job.holder !== workerId) return 'not_holder';
  return undefined;
}

function outcomeOf(deps: OutcomeDeps, frame: OutcomeFrame, job: QueueJob): JobOutcome | undefined {
  if (frame.type === 'job_result') return { status: 'completed', result: frame.result };
  if (frame.type === 'job_error') {
    return { status: 'failed', reason: 'worker_error', error: frame.error };
  }
  const upload = deps.uploads.take(job.id, frame.fence_token);
  return upload === undefined ? undefined : { status: 'completed', result: upload.value };
}

function reject(
  deps: OutcomeDeps,
  connection: QueueConnection,
  frame: OutcomeFrame | JobProgressFrame,
  job: QueueJob | undefined,
  reason: OutcomeRejection,
): void {
  deps.events.record({
    kind: 'outcome_rejected',
    jobId: frame.job_id,
    workerId: connection.workerId,
    fenceToken: frame.fence_token,
    currentToken: job?.fenceToken,
    reason,
    via: frame.type,
  });
  const message = `${frame.type} for job ${frame.job_id} rejected: ${explain(reason, frame, job)}`;
  deps.sender.send(connection, { type: 'error', message });
}

function explain(
  reason: OutcomeRejection,
  frame: OutcomeFrame | JobProgressFrame,
  job: QueueJob | undefined,
): string {
  switch (reason) {
    case 'not_registered':
      return 'send register first';
    case 'unknown_job':
      return 'no such job';
    case 'already_settled':
      return `the job is already ${job?.status}`;
    case 'stale_token':
      return `stale fence token ${frame.fence_token}, the job's current token is ${job?.fenceToken}`;
    case 'not_running':
      return 'the job is not running';
    case 'not_holder':
      return 'the job is held by another worker';
    case 'no_upload':
      return `nothing was uploaded to its result_upload_url for fence token ${frame.fence_token}`;
  }
}
