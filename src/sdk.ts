/**
 * The SDK: the TypeScript counterpart of the reference `create_transport(config)` + `on_job`.
 * A custom worker is a handler and a few options; connection, leases, re-delivery, capacity,
 * drain and reconnects come with it.
 */
import {
  type Actor,
  createActor,
  fromCallback,
  type InspectionEvent,
  toPromise,
  waitFor,
} from 'xstate';
import { DEFAULTS } from '../machines/defaults.ts';
import type { WorkerMachine, WorkerOutput } from '../machines/worker.machine.ts';
import { queueSocketUrl } from './config.ts';
import { CONFIG_DEFAULTS } from './config-schema.ts';
import type { JobHandler } from './jobs/types.ts';
import { type Logger, silentLogger } from './observability/logger.ts';
import { checkWorkerOptions } from './sdk-options.ts';
import { instantEngine } from './worker/instant-engine.ts';
import { createWorkerLogic, type WorkerTimings } from './worker/logic.ts';
import { describeWorker, type WorkerState } from './worker/state.ts';

export type WorkerOptions = {
  /** The queue's base URL (`ws://` or `wss://`); `/ws` is appended. */
  wsUrl: string;
  /** Sent in `register`; also how the queue names this worker. */
  workerId: string;
  /** The job config this worker serves. */
  configId: string;
  /** Jobs run at once. Default {@link DEFAULTS.capacity}. */
  capacity?: number;
  /** Sent as `Authorization: Bearer <token>` on the WebSocket upgrade. Never logged. */
  apiToken?: string;
  /** Runs one job: return its result (any JSON value) or throw. */
  onJob: JobHandler;
  /** Default: silent. */
  logger?: Logger;
  /** Largest inbound frame accepted, in bytes. Default {@link CONFIG_DEFAULTS.maxFrameBytes}. */
  maxFrameBytes?: number;
  /** Protocol timers; the defaults are protocol.md's. Tests shorten them. */
  timings?: WorkerTimings;
  /** Receives every actor's inspection events (see the Stately inspector in the README). */
  inspect?: (event: InspectionEvent) => void;
};

export type CasolaWorker = {
  /** Starts the worker: it connects and takes jobs. */
  start(): void;
  /** Resolves once the worker has registered with the queue. */
  connected(): Promise<void>;
  /** Stops taking jobs (`drain`), resolves once every running job has settled. */
  drain(): Promise<void>;
  /** Asks the queue to stop dispatching here for now (`pause`). */
  pause(): void;
  /** Asks the queue to dispatch here again (`resume`). */
  resume(): void;
  /**
   * Drain, wait for running jobs and the delivery of their results (within the grace period),
   * close. Resolves with the exit code: 3 when a result was not delivered. A second call cuts
   * the wait short.
   */
  stop(): Promise<WorkerOutput>;
  /** The worker's machines and running jobs, as data. */
  state(): WorkerState;
  /** The root actor, for inspection and advanced use. */
  readonly actor: Actor<WorkerMachine>;
};

/** A worker for `options`; throws a WorkerOptionsError naming every bad option. */
export function createWorker(options: WorkerOptions): CasolaWorker {
  checkWorkerOptions(options);
  const logger = options.logger ?? silentLogger();
  const logic = createWorkerLogic({
    url: queueSocketUrl(options.wsUrl),
    token: options.apiToken,
    maxFrameBytes: options.maxFrameBytes ?? CONFIG_DEFAULTS.maxFrameBytes,
    handler: options.onJob,
    logger,
    ...(options.timings ? { timings: options.timings } : {}),
    parts: {
      engine: instantEngine,
      backpressure: fromCallback(() => undefined),
      flushTelemetry: async () => {},
      heartbeat: async () => true,
    },
  });
  const actor = createActor(logic, {
    id: 'worker',
    input: {
      workerId: options.workerId,
      configId: options.configId,
      capacity: options.capacity ?? DEFAULTS.capacity,
    },
    ...(options.inspect ? { inspect: options.inspect } : {}),
  });
  const done = toPromise(actor);
  const gate = () => actor.system.get('gate');
  /** Resolves once the child's state carries `tag`. */
  const tagged = (child: string, tag: string) => {
    const ref = actor.system.get(child);
    return ref === undefined
      ? Promise.reject(new Error(`the worker has no ${child}: was it started?`))
      : waitFor(ref, (snapshot) => snapshot.hasTag(tag), { timeout: Infinity });
  };
  let started = false;
  return {
    actor,
    start: () => {
      started = true;
      actor.start();
    },
    connected: async () => {
      await tagged('connection', 'registered');
    },
    drain: async () => {
      gate()?.send({ type: 'DRAIN' });
      await tagged('gate', 'drained');
    },
    pause: () => gate()?.send({ type: 'PAUSE_REQUESTED' }),
    resume: () => gate()?.send({ type: 'RESUME_REQUESTED' }),
    stop: async () => {
      // Never started: nothing to drain or close, and the actor would never end.
      if (!started) return { exitCode: 0, failure: undefined };
      actor.send({ type: 'SHUTDOWN_REQUESTED' });
      return done;
    },
    state: () => describeWorker(actor),
  };
}
