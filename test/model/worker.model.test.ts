/**
 * The worker, walked against the real vLLM worker (startVllmWorker): the real engine on the
 * mock vLLM as a child process, the real connection, gate, leases and job actors on a local
 * queue, heartbeats, logs and metrics to an HTTP sink (worker/system.ts). Every event comes
 * from its real cause (worker/causes.ts): vLLM finishing start-up, losing health, printing a
 * fatal line or exiting (its control endpoints), queue faults and raw frames, vLLM answering a
 * job, the shutdown() API (the signal path), the timers, the sink answering or failing. Each
 * state is checked outside the worker (worker/checks.ts).
 *
 * Jobs are the gate's (gate.model.test.ts); here a transient chat job is held at vLLM where a
 * walk needs the drain to wait (causes.ts). Only the events the real system can produce in a
 * state are walked (`causable`), and states are told apart by what the guards read
 * (`stateKey`).
 */
import type { AnyEventObject, AnyMachineSnapshot, EventObject } from 'xstate';
import { workerMachine } from '../../machines/worker.machine.ts';
import { modelSuite } from './suite.ts';
import { GAVE_UP, shutdownStep } from './worker/causes.ts';
import { WorkerDriver } from './worker/driver.ts';

/** What the guards read of a rejection: its reason, and the type it had. */
const rejection = (reason: string, fields: object) => ({ reason, ...fields });

const EVENTS: AnyEventObject[] = [
  { type: 'ENGINE_READY', startupMs: 0 },
  { type: 'ENGINE_UNHEALTHY', reason: 'HTTP 503' },
  { type: 'ENGINE_FAILED', failure: { kind: 'fatal', message: 'a fatal line' } },
  { type: 'ENGINE_FAILED', failure: { kind: 'crashed', message: 'vLLM exited on its own' } },
  { type: 'QUEUE_CONNECTED', connections: 2 },
  { type: 'QUEUE_FRAME', frame: { type: 'error', message: 'unknown frame type' } },
  { type: 'QUEUE_FRAME', frame: { type: 'job_result_ref', job_id: 'c' } },
  { type: 'QUEUE_FRAME_REJECTED', rejection: rejection('not_json', {}) },
  { type: 'BACKPRESSURE_READING', waiting: 3 },
  { type: 'SHUTDOWN_REQUESTED' },
];

/**
 * What the real system can do next, with the model in this state: frames and registrations
 * only arrive while connected; vLLM fails once, with a fatal line while it starts and by exiting on its own once
 * it runs; the drain can wait only after the worker was online (a job held at vLLM; before,
 * nothing can run and the gate drains at once); the walk holds the final heartbeat (to answer
 * or fail it) only when no failure caused the shutdown: after one, the failure heartbeat, sent
 * before, is the last. SHUTDOWN_FOR_FAILURE is raised by ENGINE_FAILED, never caused on its own.
 */
function causable(snapshot: AnyMachineSnapshot, event: EventObject): boolean {
  const { failure, startupMs } = snapshot.context;
  const online = snapshot.matches('online');
  const draining = snapshot.matches({ shuttingDown: 'draining' });
  const waiting = draining && startupMs !== undefined && failure === undefined;
  const e = event as AnyEventObject;
  switch (event.type) {
    case 'ENGINE_FAILED':
      if (failure !== undefined) return false;
      if (snapshot.matches('booting')) return e.failure.kind === 'fatal';
      return e.failure.kind === 'crashed' && (online || waiting);
    case 'SHUTDOWN_REQUESTED':
      // The walk holds the telemetry flush (a second signal ends it and the connection's wait)
      // and, with no failure, the final heartbeat (one ends only the connection's wait).
      return (
        !snapshot.matches('shuttingDown') ||
        waiting ||
        snapshot.matches({ shuttingDown: 'flushing' }) ||
        (snapshot.matches({ shuttingDown: 'reporting' }) && failure === undefined)
      );
    case 'SHUTDOWN_FOR_FAILURE':
      return false;
    case 'xstate.done.actor.engine':
      // The engine ends only after the worker told it to stop.
      return snapshot.matches({ shuttingDown: 'stoppingEngine' });
    case 'QUEUE_FRAME':
    case 'QUEUE_FRAME_REJECTED':
    case 'QUEUE_CONNECTED':
      // A registration (the first, or again after a drop the walk causes) needs a connection.
      return online;
    case shutdownStep('after', 'draining'):
      return waiting;
    case shutdownStep('error', 'reporting'):
      return failure === undefined;
    default:
      return true;
  }
}

/** The state value, whether the worker was online, and whether a failure happened. */
function stateKey(snapshot: AnyMachineSnapshot): string {
  return JSON.stringify([
    snapshot.value,
    snapshot.context.startupMs !== undefined,
    snapshot.context.failure?.kind ?? null,
  ]);
}

const GAVE_UP_ID = `worker.online.degraded.waiting|${GAVE_UP}|0`;

/**
 * One-shot timers the walk's setup makes short run out soon after they start: a walk that
 * waits for one takes it next (VLLM_UNHEALTHY_TIMEOUT after vLLM loses health, the grace
 * period after the shutdown starts draining).
 */
function fits(events: readonly EventObject[]): boolean {
  const types = events.map((event) => event.type);
  const next = (type: string, then: string) =>
    types.every((t, i) => t !== type || i === types.length - 1 || types[i + 1] === then);
  if (types.includes(GAVE_UP) && !next('ENGINE_UNHEALTHY', GAVE_UP)) return false;
  // Once vLLM recovered, the health watch polls every 20 ms: its exit would be seen first as a
  // loss of health, by a race.
  let watched = false;
  for (const type of types) {
    if (type === 'ENGINE_RECOVERED') watched = true;
    if (type === 'ENGINE_UNHEALTHY') watched = false;
    if (type === 'ENGINE_FAILED' && watched) return false;
  }
  const grace = shutdownStep('after', 'draining');
  if (types.includes(grace)) {
    const first = types.indexOf('SHUTDOWN_REQUESTED');
    if (first >= 0 && first < types.length - 1 && types[first + 1] !== grace) return false;
  }
  return true;
}

modelSuite({
  // Each walk starts a worker and a vLLM process: few long walks take every pair.
  longWalks: true,
  fits,
  // The heartbeat and backpressure timers, short in a walk that waits for them, keep firing;
  // the first registration follows ENGINE_READY by itself (the walk causes the later ones).
  recurring: ['HEARTBEAT_DUE', 'BACKPRESSURE_READING', 'QUEUE_CONNECTED'],
  // The queue's own frames (its error answer to a job's outcome it refused) are not the walk's.
  incidental: (event) =>
    event.type === 'QUEUE_FRAME' &&
    !EVENTS.some((e) => JSON.stringify(e) === JSON.stringify(event)),
  unreachable: [
    {
      why: "vLLM's exit right after it recovered: a driver limit, not the worker's. The walk watches health every 20 ms once it loses it, and the exit takes down the server the next probe asks, so ENGINE_UNHEALTHY or ENGINE_FAILED comes first by a race (an exit while serving, and one while degraded, are walked)",
      pairs: (pair) =>
        pair === 'worker.online.degraded|ENGINE_RECOVERED|0 > worker|ENGINE_FAILED|0',
    },
    {
      why: "a step between the loss of health and VLLM_UNHEALTHY_TIMEOUT: a driver limit, not the worker's. The walk makes the timeout 200 ms so that it runs out where the walk waits for it, and a step in between would race it (the timeout right after the loss is walked)",
      pairs: (pair) =>
        pair.endsWith(` > ${GAVE_UP_ID}`) &&
        !pair.startsWith('worker.online.serving|ENGINE_UNHEALTHY|'),
    },
  ],
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
