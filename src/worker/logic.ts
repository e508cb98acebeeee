/**
 * Wires the worker machine to its implementations. The SDK and the vLLM worker both come
 * through here; they differ in the engine, telemetry and backpressure they bring.
 */
import { type AnyActorLogic, fromPromise } from 'xstate';
import type { EngineMachine } from '../../machines/engine.machine.ts';
import { GATE_ID } from '../../machines/gate.machine.ts';
import type { JobFrame } from '../../machines/types.ts';
import { type HeartbeatStatus, workerMachine } from '../../machines/worker.machine.ts';
import { type ConnectionTimings, createConnectionLogic } from '../connection/index.ts';
import { HeartbeatNotDeliveredError } from '../errors.ts';
import { createGateLogic } from '../gate/index.ts';
import { createTransientJobActor } from '../jobs/transient-job.ts';
import type { JobHandler } from '../jobs/types.ts';
import { createLeaseLogic, type LeaseOptions } from '../lease/index.ts';
import { logAction } from '../observability/log-action.ts';
import type { Logger } from '../observability/logger.ts';

export type WorkerTimings = ConnectionTimings & {
  /** How often a persisted job's lease is renewed. Default 30 000 ms. */
  renewIntervalMs?: number;
  /** Interval of `active` heartbeats. Default 60 000 ms. */
  heartbeatIntervalMs?: number;
  /** A large result's PUT to result_upload_url. Default 60 000 ms. */
  uploadTimeoutMs?: number;
  /** The GET of an offloaded payload. Default 30 000 ms. */
  payloadTimeoutMs?: number;
};

/** What differs between a custom (SDK) worker and the vLLM worker. */
export type WorkerParts = {
  /** The engine machine with its implementations (vLLM, or one that is ready at once). */
  engine: EngineMachine;
  /** Reports BACKPRESSURE_READING while online. */
  backpressure: AnyActorLogic;
  /** Ships logs and metrics one last time at shutdown; rejects when some were not shipped. */
  flushTelemetry: () => Promise<void>;
  /**
   * Sends a heartbeat; never throws. Resolves when it has been sent (true; also when
   * heartbeats are off) or has failed (false).
   */
  heartbeat: (status: HeartbeatStatus, errorMessage?: string) => Promise<boolean>;
};

export type WorkerLogicOptions = {
  url: string;
  token: string | undefined;
  maxFrameBytes: number;
  handler: JobHandler;
  logger: Logger;
  timings?: WorkerTimings;
  payload?: LeaseOptions['payload'];
  parts: WorkerParts;
};

const REFUSALS = {
  at_capacity: 'worker at capacity: every slot and waiting place is taken',
  draining: 'worker is draining (shutting down): the job was not started',
} as const;

export function createWorkerLogic(options: WorkerLogicOptions) {
  const { logger, timings = {}, parts } = options;
  const work = {
    handler: options.handler,
    logger,
    payload: {
      ...options.payload,
      ...(timings.payloadTimeoutMs === undefined ? {} : { timeoutMs: timings.payloadTimeoutMs }),
    },
  };
  // The newest heartbeat's promise resolves once it, and every one before it, is sent: true
  // when it was delivered.
  let lastHeartbeat: Promise<boolean> = Promise.resolve(true);
  const heartbeat = (status: HeartbeatStatus, errorMessage?: string) => {
    lastHeartbeat = parts.heartbeat(status, errorMessage);
    return lastHeartbeat;
  };
  const connection = createConnectionLogic({ ...options, timings, jobsTo: GATE_ID });
  const lease = createLeaseLogic({
    ...work,
    ...(timings.renewIntervalMs === undefined ? {} : { renewIntervalMs: timings.renewIntervalMs }),
    ...(timings.uploadTimeoutMs === undefined
      ? {}
      : { upload: { timeoutMs: timings.uploadTimeoutMs } }),
  });
  return workerMachine.provide({
    actors: {
      engine: parts.engine,
      connection,
      gate: createGateLogic(logger),
      lease,
      transientJob: createTransientJobActor(work),
      backpressure: parts.backpressure,
      flushTelemetry: fromPromise(() => parts.flushTelemetry()),
      // No status (after a failure): the failure heartbeat stays the last word, once sent.
      finalHeartbeat: fromPromise<void, { status: HeartbeatStatus | undefined }>(
        async ({ input }) => {
          const last = input.status === undefined ? lastHeartbeat : heartbeat(input.status);
          if (!(await last)) throw new HeartbeatNotDeliveredError(input.status);
        },
      ),
    },
    actions: {
      log: logAction(logger),
      heartbeat: (_, params) => {
        void heartbeat(params.status, params.errorMessage);
      },
      refuseJobs: ({ system }, params) => refuseJobs(system.get('connection'), logger, params),
    },
    delays: {
      ...(timings.gracePeriodMs === undefined ? {} : { GRACE_PERIOD: timings.gracePeriodMs }),
      ...(timings.heartbeatIntervalMs === undefined
        ? {}
        : { HEARTBEAT_INTERVAL: timings.heartbeatIntervalMs }),
    },
  });
}

function refuseJobs(
  connection: { send(event: unknown): void } | undefined,
  logger: Logger,
  params: { jobs: JobFrame[]; reason: keyof typeof REFUSALS },
): void {
  const error = REFUSALS[params.reason];
  for (const job of params.jobs) {
    const persisted = job.mode === 'persisted';
    logger.warn(
      { job_id: job.job_id, config_id: job.config_id, reason: params.reason },
      persisted ? `${error}; left to its lease` : error,
    );
    if (!persisted) {
      connection?.send({
        type: 'SEND',
        frame: { type: 'job_error', job_id: job.job_id, error, fence_token: 0 },
      });
    }
  }
}
