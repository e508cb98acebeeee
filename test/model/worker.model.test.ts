/**
 * The worker, walked against the real vLLM worker (startVllmWorker): the real engine on the
 * mock vLLM as a child process, the real connection, gate, leases and job actors on a local
 * queue, heartbeats, logs and metrics to an HTTP sink (worker/system.ts). Every event comes
 * from its real cause (worker/causes.ts): vLLM finishing start-up, losing health, printing a
 * fatal line or exiting (its control endpoints), queue faults and raw frames, vLLM answering a
 * job, the shutdown() API (the signal path), the timers, the sink answering or failing. Each
 * state is checked outside the worker (worker/checks.ts).
 *
 * The model's domain is tiny: capacity 1, a persisted job `a` (a newer dispatch supersedes
 * it), a transient job `b`. Only the events the real system can produce in a state are
 * walked (`causable`), and states are told apart by what the guards read (`stateKey`).
 */
import type { AnyEventObject, AnyMachineSnapshot, EventObject } from 'xstate';
import type { JobFrame } from '../../machines/types.ts';
import { workerMachine } from '../../machines/worker.machine.ts';
import { jobFrame } from '../support/job-frame.ts';
import { modelSuite } from './suite.ts';
import { CHAT, shutdownStep } from './worker/causes.ts';
import { WorkerDriver } from './worker/driver.ts';

const job = (id: string, token: number, mode: JobFrame['mode']) => jobFrame(id, token, mode, CHAT);
const A = job('a', 1, 'persisted');
const B = job('b', 0, 'transient');
/** What the guards read of a rejection: its reason, and the type and job id it had. */
const rejection = (reason: string, fields: object) => ({ reason, ...fields });
const ended = (id: string, token: number) => ({
  type: 'JOB_ENDED',
  jobId: id,
  fenceToken: token,
  outcome: { kind: 'result', delivery: 'inline' },
});

const EVENTS: AnyEventObject[] = [
  { type: 'ENGINE_READY', startupMs: 0 },
  { type: 'ENGINE_UNHEALTHY', reason: 'HTTP 503' },
  { type: 'ENGINE_FAILED', failure: { kind: 'fatal', message: 'a fatal line' } },
  { type: 'ENGINE_FAILED', failure: { kind: 'crashed', message: 'vLLM exited on its own' } },
  { type: 'QUEUE_CONNECTED', connections: 2 },
  { type: 'QUEUE_FRAME', frame: { type: 'job_revoked', job_id: 'a', reason: 'cancelled' } },
  { type: 'QUEUE_FRAME', frame: { type: 'job_revoked', job_id: 'c', reason: 'cancelled' } },
  { type: 'QUEUE_FRAME', frame: { type: 'error', message: 'unknown frame type' } },
  { type: 'QUEUE_FRAME', frame: { type: 'job_result_ref', job_id: 'c' } },
  {
    type: 'QUEUE_FRAME_REJECTED',
    rejection: rejection('invalid_fields', { type: 'job', jobId: 'x' }),
  },
  { type: 'QUEUE_FRAME_REJECTED', rejection: rejection('not_json', {}) },
  { type: 'START_JOB', job: A },
  { type: 'START_JOB', job: B },
  { type: 'SUPERSEDE_JOB', jobId: 'a', fenceToken: 1 },
  { type: 'REFUSE_JOBS', jobs: [B], reason: 'draining' },
  ended('a', 1),
  ended('b', 0),
  { type: 'BACKPRESSURE_READING', waiting: 3 },
  { type: 'SHUTDOWN_REQUESTED' },
];

/**
 * What the real system can do next, with the model in this state: frames only arrive while
 * connected; a job starts only in a free slot (capacity 1); vLLM fails once, with a fatal line
 * while it starts and by exiting on its own once it runs; the drain waits only while a job
 * runs (else the gate drains at once); the walk holds the final heartbeat (to answer or fail
 * it) only when no failure caused the shutdown: after one, the failure heartbeat, sent before,
 * is the last. SHUTDOWN_FOR_FAILURE is raised by ENGINE_FAILED, never caused on its own.
 */
function causable(snapshot: AnyMachineSnapshot, event: EventObject): boolean {
  const { jobs, failure } = snapshot.context;
  const running = Object.keys(jobs).length;
  const online = snapshot.matches('online');
  const draining = snapshot.matches({ shuttingDown: 'draining' });
  const waiting = draining && running > 0 && failure === undefined;
  const e = event as AnyEventObject;
  switch (event.type) {
    case 'ENGINE_FAILED':
      if (failure !== undefined) return false;
      if (snapshot.matches('booting')) return e.failure.kind === 'fatal';
      return e.failure.kind === 'crashed' && (online || waiting);
    case 'SHUTDOWN_REQUESTED':
      // A second signal while the walk holds the telemetry flush ends the connection's wait.
      return (
        !snapshot.matches('shuttingDown') ||
        waiting ||
        snapshot.matches({ shuttingDown: 'flushing' })
      );
    case 'SHUTDOWN_FOR_FAILURE':
      return false;
    case 'xstate.done.actor.engine':
      // The engine ends only after the worker told it to stop.
      return snapshot.matches({ shuttingDown: 'stoppingEngine' });
    case 'QUEUE_FRAME':
      if (!online) return false;
      return e.frame.type !== 'job_revoked' || e.frame.job_id !== 'a' || 'a' in jobs;
    case 'QUEUE_FRAME_REJECTED':
      return online;
    case 'START_JOB':
      return online && running === 0;
    case 'SUPERSEDE_JOB':
      return online && jobs.a?.fenceToken === 1;
    case 'REFUSE_JOBS':
      return waiting;
    case 'JOB_ENDED':
      return (online || draining) && jobs[e.jobId]?.fenceToken === e.fenceToken;
    case 'GATE_DRAINED':
      return running === 0;
    case shutdownStep('after', 'draining'):
      return waiting;
    case shutdownStep('error', 'reporting'):
      return failure === undefined;
    default:
      return true;
  }
}

/** The state value, the running jobs (id and fence token) and whether a failure happened. */
function stateKey(snapshot: AnyMachineSnapshot): string {
  const jobs = Object.entries(snapshot.context.jobs as Record<string, { fenceToken: number }>);
  return JSON.stringify([
    snapshot.value,
    jobs.map(([id, { fenceToken }]) => `${id}@${fenceToken}`).sort(),
    snapshot.context.failure?.kind ?? null,
  ]);
}

modelSuite({
  machine: workerMachine,
  input: {
    workerId: 'w-model',
    configId: 'cfg',
    capacity: 1,
    pauseThreshold: 0,
    resumeThreshold: 0,
  },
  events: EVENTS,
  filterEvents: causable,
  serializeState: stateKey,
  driver: () => new WorkerDriver(),
  settleMs: 10_000,
});
