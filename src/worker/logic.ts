/**
 * Wires the worker machine to its implementations. The SDK and the vLLM worker both come
 * through here; they differ in the engine, telemetry and backpressure they bring.
 */
import { type AnyActorLogic, fromPromise } from 'xstate';
import type { EngineMachine } from '../../machines/engine.machine.ts';
import { GATE_ID } from '../../machines/gate.machine.ts';
import { type HeartbeatStatus, workerMachine } from '../../machines/worker.machine.ts';
import { type ConnectionTimings, createConnectionLogic } from '../connection/index.ts';
import { HeartbeatNotDeliveredError } from '../errors.ts';
import { createGateLogic } from '../gate/index.ts';
import type { JobOptions } from '../jobs/job.ts';
import type { JobHandler } from '../jobs/types.ts';
import { logAction } from '../observability/log-action.ts';
import type { Logger } from '../observability/logger.ts';

export type WorkerTimings = ConnectionTimings & {
  /** How often a persisted job's lease is renewed, in ms. Default DEFAULTS.renewIntervalMs (30 s). */
  renewIntervalMs?: number;
  /** Interval of `active` heartbeats, in ms. Default DEFAULTS.heartbeatIntervalMs (60 s). */
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
  payload?: JobOptions['payload'];
  parts: WorkerParts;
};

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
  const gate = createGateLogic({
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
      gate,
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
    },
    delays: {
      ...(timings.gracePeriodMs === undefined ? {} : { GRACE_PERIOD: timings.gracePeriodMs }),
      ...(timings.heartbeatIntervalMs === undefined
        ? {}
        : { HEARTBEAT_INTERVAL: timings.heartbeatIntervalMs }),
    },
  });
}
