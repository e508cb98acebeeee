/**
 * Jobs as the status server knows them, learned from the worker's inspection events only (no
 * I/O in the machines): START_JOB and JOB_ENDED reaching the root, SUPERSEDE_JOB for a run a
 * newer dispatch replaced, each lease's snapshots for its state, and RENEW_DUE for renewals.
 */
import type { AnyActorRef, InspectionEvent, StateValue } from 'xstate';
import { jobIdOfActor } from '../../machines/job-actors.ts';
import type { AbortReason, JobFrame, JobOutcome } from '../../machines/types.ts';
import type { WorkerEvent } from '../../machines/worker.machine.ts';
import { stateName } from '../worker/state.ts';

/** How a job ended, as a metric label: `result`, `error`, or why it was aborted. */
export type OutcomeLabel = 'result' | 'error' | AbortReason;

export type TrackedJob = {
  jobId: string;
  mode: JobFrame['mode'];
  /** `payload.task`; `offloaded` when the payload sits behind payload_url; `none` when unnamed. */
  task: string;
  fenceToken: number;
  /** The lease's state (`held.working`), or `running` for a transient job. */
  state: string;
  startedAt: number;
};

export type EndedJob = TrackedJob & {
  outcome: OutcomeLabel;
  /** The error message of a job that ended in `error`. */
  error?: string;
  durationMs: number;
  endedAt: number;
};

export type JobLedgerOptions = {
  /** Called once per ended run, after it moved to the recent list. */
  onEnded?: (job: EndedJob) => void;
  /** How many ended jobs `recent()` keeps, newest first. Default 20. */
  recentLimit?: number;
};

type Started = TrackedJob & { clock: number };

type LeaseSnapshot = { value?: StateValue; hasTag?: (tag: string) => boolean };

export class JobLedger {
  /** Lease renewals seen since start. */
  renewals = 0;
  readonly #running = new Map<string, Started>();
  readonly #recent: EndedJob[] = [];
  readonly #onEnded: ((job: EndedJob) => void) | undefined;
  readonly #recentLimit: number;

  constructor(options: JobLedgerOptions = {}) {
    this.#onEnded = options.onEnded;
    this.#recentLimit = options.recentLimit ?? 20;
  }

  /** An inspection observer: cheap for every event it does not care about. */
  observe(event: InspectionEvent): void {
    if (event.type === '@xstate.snapshot') {
      this.#leaseSnapshot((event.actorRef as AnyActorRef).id, event.snapshot as LeaseSnapshot);
      return;
    }
    if (event.type !== '@xstate.event') return;
    const { type } = event.event;
    if (type === 'RENEW_DUE') this.renewals += 1;
    else if ((event.actorRef as AnyActorRef).sessionId === event.rootId) {
      this.#rootEvent(event.event as WorkerEvent);
    }
  }

  running(): TrackedJob[] {
    return [...this.#running.values()].map(({ clock: _, ...job }) => job);
  }

  /** Ended jobs, newest first. */
  recent(): EndedJob[] {
    return [...this.#recent];
  }

  #rootEvent(event: WorkerEvent): void {
    if (event.type === 'START_JOB') this.#start(event.job);
    else if (event.type === 'JOB_ENDED') {
      const { outcome } = event;
      const error = outcome.kind === 'error' ? outcome.message : undefined;
      this.#end(event.jobId, event.fenceToken, outcomeLabel(outcome), error);
    } else if (event.type === 'SUPERSEDE_JOB') {
      this.#end(event.jobId, event.fenceToken, 'superseded');
    }
  }

  /**
   * A lease reports its final state after it told the root that the job ended, so a snapshot
   * of a job that just ended still names the state it ended in.
   */
  #leaseSnapshot(actorId: string, snapshot: LeaseSnapshot): void {
    const id = jobIdOfActor(actorId);
    if (id === undefined || snapshot.value === undefined) return;
    const running = this.#running.get(id);
    if (running !== undefined) {
      running.state = stateName(snapshot.value);
      return;
    }
    const ended = this.#recent.find((job) => job.jobId === id);
    if (ended?.mode === 'persisted' && snapshot.hasTag?.('ended')) {
      ended.state = stateName(snapshot.value);
    }
  }

  #start(job: JobFrame): void {
    this.#running.set(job.job_id, {
      jobId: job.job_id,
      mode: job.mode,
      task: taskOf(job),
      fenceToken: job.fence_token,
      state: job.mode === 'persisted' ? 'held' : 'running',
      startedAt: Date.now(),
      clock: performance.now(),
    });
  }

  #end(jobId: string, fenceToken: number, outcome: OutcomeLabel, error?: string): void {
    const job = this.#running.get(jobId);
    if (job === undefined || job.fenceToken !== fenceToken) return;
    this.#running.delete(jobId);
    const { clock, ...tracked } = job;
    const state = job.mode === 'persisted' ? job.state : 'done';
    const ended = {
      ...tracked,
      state,
      outcome,
      ...(error === undefined ? {} : { error }),
      durationMs: performance.now() - clock,
      endedAt: Date.now(),
    };
    this.#recent.unshift(ended);
    if (this.#recent.length > this.#recentLimit) this.#recent.pop();
    this.#onEnded?.(ended);
  }
}

export function outcomeLabel(outcome: JobOutcome): OutcomeLabel {
  return outcome.kind === 'aborted' ? outcome.reason : outcome.kind;
}

function taskOf(job: JobFrame): string {
  const task = (job.payload as { task?: unknown } | null)?.task;
  if (typeof task === 'string' && task !== '') return task;
  return job.payload_url === undefined ? 'none' : 'offloaded';
}
