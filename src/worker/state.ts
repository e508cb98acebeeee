/**
 * The worker's machines and running jobs as plain data: for the SDK's state(), the status page
 * and tests. Secrets never enter machine context, so nothing here needs masking.
 */
import type { AnyActorRef, StateValue } from 'xstate';
import { jobActorId } from '../../machines/job-actors.ts';

export type JobState = {
  mode: 'transient' | 'persisted';
  fenceToken: number;
  /** The lease's state (persisted jobs), e.g. `held.working`; `running` for transient jobs. */
  state: string;
  startedAt: number;
};

export type WorkerState = {
  worker: string;
  engine: string;
  connection: string;
  gate: string;
  jobs: Record<string, JobState>;
};

/** `{ online: { serving: {} } }` → `online.serving`. */
export function stateName(value: StateValue | undefined): string {
  if (value === undefined) return 'stopped';
  if (typeof value === 'string') return value;
  const entries = Object.entries(value);
  if (entries.length === 1) {
    const [key, child] = entries[0]!;
    const inner = stateName(child);
    return inner === '' ? key : `${key}.${inner}`;
  }
  return entries.map(([key, child]) => `${key}(${stateName(child)})`).join(',');
}

type Snapshotted = { getSnapshot(): { value?: StateValue; status?: string } };

function actorState(actor: Snapshotted | undefined): string {
  if (actor === undefined) return 'stopped';
  const snapshot = actor.getSnapshot();
  return snapshot.value === undefined ? (snapshot.status ?? 'unknown') : stateName(snapshot.value);
}

type RootSnapshot = {
  value: StateValue;
  context: {
    jobs: Record<string, { mode: JobState['mode']; fenceToken: number; startedAt: number }>;
  };
  children: Record<string, AnyActorRef | undefined>;
};

export function describeWorker(root: { getSnapshot(): unknown }): WorkerState {
  const snapshot = root.getSnapshot() as RootSnapshot;
  const { children } = snapshot;
  // Prototype-less: a job id is data (`__proto__` is just another id).
  const jobs = Object.create(null) as Record<string, JobState>;
  for (const [jobId, job] of Object.entries(snapshot.context.jobs)) {
    const child = children[jobActorId(jobId)];
    jobs[jobId] = {
      ...job,
      state: job.mode === 'persisted' ? actorState(child) : 'running',
    };
  }
  return {
    worker: stateName(snapshot.value),
    engine: actorState(children.engine),
    connection: actorState(children.connection),
    gate: actorState(children.gate),
    jobs,
  };
}
