/**
 * The worker: the root actor of the process, and its lifecycle. It starts the engine, connects
 * to the queue once the engine is ready, relays backpressure to the gate, and runs the shutdown
 * sequence (worker-shutdown.ts): drain → wait for running jobs (up to GRACE_PERIOD) → flush logs
 * and metrics → close the connection → heartbeat `stopping` → stop vLLM → exit code.
 *
 * Children (by system id): `engine`, `connection` and `gate`; the gate owns the running jobs.
 * A custom (SDK) worker runs this same machine with an engine that is ready at once and no
 * telemetry.
 */
import { assign, raise, sendTo, setup } from 'xstate';
import { connectionMachine } from './connection.machine.ts';
import { DEFAULTS } from './defaults.ts';
import { type EngineFailure, engineMachine } from './engine.machine.ts';
import { GATE_ID, gateMachine } from './gate.machine.ts';
import { actionNotProvided, callbackNotProvided, promiseNotProvided } from './placeholders.ts';
import { rejectionLog } from './refusals.ts';
import type { LogParams, QueueFrame } from './types.ts';
import {
  engineInput,
  failureStatus,
  gateInput,
  type HeartbeatStatus,
  otherFrameLog,
  queueErrorLog,
  registeredLog,
  unhealthyLog,
  unhealthyTimeoutMs,
  type WorkerContext,
  type WorkerEvent,
  type WorkerInput,
  type WorkerOutput,
} from './worker.types.ts';
import { degraded } from './worker-degraded.ts';
import { shuttingDown } from './worker-shutdown.ts';

export {
  failureStatus,
  type HeartbeatStatus,
  type WorkerContext,
  type WorkerEvent,
  type WorkerInput,
  type WorkerOutput,
} from './worker.types.ts';

export const workerMachine = setup({
  types: {
    context: {} as WorkerContext,
    events: {} as WorkerEvent,
    input: {} as WorkerInput,
    output: {} as WorkerOutput,
  },
  actors: {
    engine: engineMachine,
    connection: connectionMachine,
    gate: gateMachine,
    backpressure: callbackNotProvided('worker', 'backpressure'),
    flushTelemetry: promiseNotProvided<void>('worker', 'flushTelemetry'),
    finalHeartbeat: promiseNotProvided<void, { status: HeartbeatStatus | undefined }>(
      'worker',
      'finalHeartbeat',
    ),
  },
  guards: {
    isQueueError: (_, params: { frame: QueueFrame }) => params.frame.type === 'error',
  },
  actions: {
    heartbeat: actionNotProvided('worker', 'heartbeat') as (
      _: unknown,
      params: { status: HeartbeatStatus; errorMessage?: string },
    ) => void,
    log: actionNotProvided('worker', 'log') as (_: unknown, params: LogParams) => void,
    scheduleHeartbeat: raise({ type: 'HEARTBEAT_DUE' }, { delay: 'HEARTBEAT_INTERVAL', id: 'hb' }),
    connect: sendTo('connection', { type: 'CONNECT' }),
    closeConnection: sendTo('connection', { type: 'STOP' }),
    /** The connection's own timer bounds its delivery at shutdown by the same grace period. */
    startGrace: sendTo('connection', { type: 'GRACE_STARTED' }),
    endGrace: sendTo('connection', { type: 'GRACE_ENDED' }),
    recordUndelivered: assign({
      undelivered: (_, params: { undelivered: number }) => params.undelivered,
    }),
    stopEngine: sendTo('engine', { type: 'STOP' }),
    drainGate: sendTo('gate', { type: 'DRAIN' }),
    interruptJobs: sendTo('gate', { type: 'INTERRUPT_JOBS' }),
    failJobs: sendTo('gate', (_, params: { message: string }) => ({
      type: 'FAIL_JOBS' as const,
      message: params.message,
    })),
    pauseGate: sendTo('gate', { type: 'ENGINE_UNHEALTHY' }),
    resumeGate: sendTo('gate', { type: 'ENGINE_RECOVERED' }),
    abandonJobs: sendTo('gate', (_, params: { message: string }) => ({
      type: 'ABANDON_JOBS' as const,
      message: params.message,
    })),
    relayBackpressure: sendTo('gate', (_, params: { waiting: number }) => ({
      type: 'BACKPRESSURE_READING' as const,
      waiting: params.waiting,
    })),
    recordStartup: assign({ startupMs: (_, params: { startupMs: number }) => params.startupMs }),
    recordFailure: assign({ failure: (_, params: { failure: EngineFailure }) => params.failure }),
  },
  delays: {
    /** CASOLA_SHUTDOWN_GRACE_PERIOD: how long shutdown waits for running jobs. */
    GRACE_PERIOD: DEFAULTS.gracePeriodMs,
    /** CASOLA_HEARTBEAT_INTERVAL. */
    HEARTBEAT_INTERVAL: DEFAULTS.heartbeatIntervalMs,
    /** VLLM_UNHEALTHY_TIMEOUT: running jobs are given up after vLLM is unhealthy this long. */
    UNHEALTHY_TIMEOUT: ({ context }) => unhealthyTimeoutMs(context),
  },
}).createMachine({
  id: 'worker',
  description:
    'The worker: the root actor of the process, and its lifecycle. It starts the engine, connects to the queue once the engine is ready, relays backpressure to the gate, and runs the shutdown sequence (worker-shutdown.ts): drain → wait for running jobs (up to GRACE_PERIOD) → flush logs and metrics → close the connection → heartbeat `stopping` → stop vLLM → exit code.',
  context: ({ input }) => ({
    settings: input,
    failure: undefined,
    startupMs: undefined,
    undelivered: 0,
  }),
  invoke: [
    {
      id: 'engine',
      systemId: 'engine',
      src: 'engine',
      input: ({ context }) => engineInput(context.settings),
      // The engine stops only when told to (stoppingEngine). Waiting for its done event rather
      // than its ENGINE_STOPPED notice means the worker ends after the engine has finished.
      onDone: '.exited',
    },
    {
      id: 'connection',
      systemId: 'connection',
      src: 'connection',
      input: ({ context: { settings } }) => ({
        workerId: settings.workerId,
        configId: settings.configId,
        capacity: settings.capacity,
      }),
    },
    {
      id: 'gate',
      systemId: GATE_ID,
      src: 'gate',
      input: ({ context }) => gateInput(context.settings),
    },
  ],
  initial: 'booting',
  output: ({ context }) => ({
    exitCode: context.failure !== undefined ? 1 : context.undelivered > 0 ? 3 : 0,
    failure: context.failure,
  }),
  on: {
    // Job frames and revocations go from the socket straight to the gate; the rest come here.
    QUEUE_FRAME: [
      {
        guard: { type: 'isQueueError', params: ({ event }) => event },
        actions: { type: 'log', params: ({ event }) => queueErrorLog(event.frame) },
      },
      { actions: { type: 'log', params: ({ event }) => otherFrameLog(event.frame) } },
    ],
    QUEUE_CONNECTED: {
      actions: { type: 'log', params: ({ event }) => registeredLog(event.connections) },
    },
    QUEUE_FRAME_REJECTED: {
      actions: { type: 'log', params: ({ event }) => rejectionLog(event.rejection) },
    },
    ENGINE_FAILED: {
      actions: [
        { type: 'recordFailure', params: ({ event }) => event },
        {
          type: 'heartbeat',
          params: ({ event }) => ({
            status: failureStatus(event.failure),
            errorMessage: event.failure.message,
          }),
        },
        {
          type: 'log',
          params: ({ event }) => ({ level: 'error', message: event.failure.message }),
        },
        {
          type: 'failJobs',
          params: ({ event }) => ({ message: `vLLM failed: ${event.failure.message}` }),
        },
        raise({ type: 'SHUTDOWN_FOR_FAILURE' }),
      ],
    },
  },
  states: {
    booting: {
      description:
        'vLLM is starting (GPU check, spawn, health, models); the queue is not connected.',
      entry: { type: 'heartbeat', params: { status: 'starting' } },
      on: {
        ENGINE_READY: {
          target: 'online',
          actions: { type: 'recordStartup', params: ({ event }) => event },
        },
        SHUTDOWN_FOR_FAILURE: 'shuttingDown',
        SHUTDOWN_REQUESTED: 'shuttingDown',
      },
    },
    online: {
      description: 'Connected (or reconnecting) to the queue and running jobs.',
      entry: ['connect', 'scheduleHeartbeat'],
      invoke: { src: 'backpressure' },
      on: {
        BACKPRESSURE_READING: {
          actions: { type: 'relayBackpressure', params: ({ event }) => event },
        },
        SHUTDOWN_FOR_FAILURE: 'shuttingDown',
        SHUTDOWN_REQUESTED: 'shuttingDown',
      },
      initial: 'serving',
      states: {
        serving: {
          description: "vLLM's /health answers 200: heartbeats say `active`.",
          on: {
            QUEUE_CONNECTED: {
              actions: [
                { type: 'log', params: ({ event }) => registeredLog(event.connections) },
                { type: 'heartbeat', params: { status: 'active' } },
              ],
            },
            HEARTBEAT_DUE: {
              actions: [{ type: 'heartbeat', params: { status: 'active' } }, 'scheduleHeartbeat'],
            },
            ENGINE_UNHEALTHY: {
              target: 'degraded',
              actions: [
                { type: 'log', params: ({ event }) => unhealthyLog(event.reason) },
                'pauseGate',
              ],
            },
          },
        },
        degraded,
      },
    },
    shuttingDown,
    exited: {
      description: 'Everything is stopped; the output carries the exit code.',
      tags: 'stopping',
      type: 'final',
    },
  },
});

export type WorkerMachine = typeof workerMachine;
