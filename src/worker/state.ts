/**
 * The worker's machines and running jobs as plain data: for the SDK's state(), the status page
 * and tests. Running jobs come from the gate, their only owner; what other code asks of a state
 * comes from tags (`ready`, `registered`, `stopping`), never from state names. Secrets never
 * enter machine context, so nothing here needs masking.
 */
import type { AnyActorRef, StateValue } from 'xstate';
import type { GateContext } from '../../machines/gate.machine.ts';
import { jobActorId } from '../../machines/job-actors.ts';
import type { RunningJob } from '../../machines/running-jobs.ts';

export type JobState = RunningJob & {
  /** The job machine's state, e.g. `running.working`. */
  state: string;
};

export type WorkerState = {
  worker: string;
  engine: string;
  connection: string;
  gate: string;
  /** What the tags say: the engine serves, the queue has the worker registered, it is going down. */
  flags: { engineReady: boolean; registered: boolean; stopping: boolean };
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

type Snapshotted = {
  getSnapshot(): {
    value?: StateValue;
    status?: string;
    hasTag?: (tag: string) => boolean;
    context?: unknown;
    children?: Record<string, Snapshotted | undefined>;
  };
};

function actorState(actor: Snapshotted | undefined): string {
  if (actor === undefined) return 'stopped';
  const snapshot = actor.getSnapshot();
  return snapshot.value === undefined ? (snapshot.status ?? 'unknown') : stateName(snapshot.value);
}

/** Whether the actor's state carries `tag` (a stopped actor carries none). */
export function hasTag(actor: Snapshotted | undefined, tag: string): boolean {
  return actor?.getSnapshot().hasTag?.(tag) ?? false;
}

/** The gate's running jobs, each with its job actor's state. */
export function runningJobs(gate: Snapshotted | undefined): Record<string, JobState> {
  // Prototype-less: a job id is data (`__proto__` is just another id).
  const jobs = Object.create(null) as Record<string, JobState>;
  if (gate === undefined) return jobs;
  const snapshot = gate.getSnapshot();
  const running = (snapshot.context as GateContext | undefined)?.running ?? {};
  for (const jobId in running) {
    jobs[jobId] = { ...running[jobId]!, state: actorState(snapshot.children?.[jobActorId(jobId)]) };
  }
  return jobs;
}

export function describeWorker(root: AnyActorRef): WorkerState {
  const snapshot = root.getSnapshot() as {
    value: StateValue;
    children: Record<string, Snapshotted | undefined>;
  };
  const { children } = snapshot;
  return {
    worker: stateName(snapshot.value),
    engine: actorState(children.engine),
    connection: actorState(children.connection),
    gate: actorState(children.gate),
    flags: {
      engineReady: hasTag(children.engine, 'ready'),
      registered: hasTag(children.connection, 'registered'),
      stopping: hasTag(root as Snapshotted, 'stopping'),
    },
    jobs: runningJobs(children.gate),
  };
}
