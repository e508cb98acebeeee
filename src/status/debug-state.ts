/**
 * /debug/state: every actor's current state, active state ids and key context (no secrets, no
 * payloads), the running jobs with their job state, and the jobs that ended last.
 */
import type { AnyActorRef } from 'xstate';
import { jobActorId } from '../../machines/job-actors.ts';
import { describeWorker } from '../worker/state.ts';
import { type ActorView, childrenOf, viewActor } from './actors.ts';
import type { EndedJob, JobLedger } from './jobs.ts';
import { type Readiness, readiness } from './readiness.ts';

export type RunningJobView = {
  jobId: string;
  mode: 'transient' | 'persisted';
  task: string;
  fenceToken: number;
  /** The job actor's state, e.g. `running.working`. */
  state: string;
  startedAt: number;
  /** The job actor of a persisted job (its lease); undefined for a transient job. */
  lease: ActorView | undefined;
};

export type DebugState = {
  readiness: Readiness;
  /** worker, engine, connection, gate: those that are alive, in that order. */
  actors: ActorView[];
  jobs: RunningJobView[];
  /** Ended jobs, newest first. */
  recentJobs: EndedJob[];
  /** When this was read (ISO 8601). */
  at: string;
};

const PARTS = ['engine', 'connection', 'gate'] as const;

export function debugState(root: AnyActorRef, ledger: JobLedger): DebugState {
  const children = childrenOf(root);
  const state = describeWorker(root);
  const jobActors = children.gate ? childrenOf(children.gate) : {};
  const jobs = Object.entries(state.jobs).map(
    ([jobId, job]): RunningJobView => ({
      jobId,
      mode: job.mode,
      task: job.task,
      fenceToken: job.fenceToken,
      state: job.state,
      startedAt: job.startedAt,
      lease: job.mode === 'persisted' ? viewOf(jobActors[jobActorId(jobId)]) : undefined,
    }),
  );
  const parts = PARTS.flatMap((id) => (children[id] ? [viewActor(children[id])] : []));
  return {
    readiness: readiness(state),
    actors: [viewActor(root), ...parts],
    jobs,
    recentJobs: ledger.recent(),
    at: new Date().toISOString(),
  };
}

function viewOf(actor: AnyActorRef | undefined): ActorView | undefined {
  return actor === undefined ? undefined : viewActor(actor);
}
