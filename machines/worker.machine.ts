/**
 * The worker: the root actor of the process. It starts the engine, connects to the queue once
 * the engine is ready, runs each job the gate starts in a lease (persisted) or a transient job
 * actor, relays revocations and backpressure, and runs the shutdown sequence of worker.md:
 * drain → wait for running jobs (up to GRACE_PERIOD) → flush logs and metrics → close the
 * connection → heartbeat `stopping` → stop vLLM → exit code.
 *
 * Children (by system id): `engine`, `connection`, `gate`, and one actor per running job, its
 * id `job:<job id>` (job-actors.ts). A custom (SDK) worker runs this same machine with an engine that is ready at
 * once and no telemetry.
 */
import { assign, raise, sendTo, setup, spawnChild, stopChild } from 'xstate';
import { connectionMachine, GRACE_PERIOD_MS } from './connection.machine.ts';
import { type EngineFailure, engineMachine } from './engine.machine.ts';
import { GATE_ID, gateMachine } from './gate.machine.ts';
import { jobActorId } from './job-actors.ts';
import { leaseMachine } from './lease.machine.ts';
import { connectionRef, sendFrame } from './outbound.ts';
import { actionNotProvided, callbackNotProvided, promiseNotProvided } from './placeholders.ts';
import { emptyRecord, type JobRecord, withEntry, withoutEntry } from './records.ts';
import type { FrameRejection, JobEndedEvent, JobFrame, LogParams, QueueFrame } from './types.ts';

export type HeartbeatStatus = 'starting' | 'active' | 'error' | 'fatal' | 'failed' | 'stopping';

export type JobCommand =
  | { type: 'JOB_REVOKED'; reason: string }
  | { type: 'JOB_SUPERSEDED' }
  | { type: 'JOB_INTERRUPTED' }
  | { type: 'JOB_FAILED'; message: string };

/** A running job as the worker tracks it (for routing, metrics and the status page). */
export type RunningJob = { fenceToken: number; mode: JobFrame['mode']; startedAt: number };

export type WorkerInput = {
  workerId: string;
  configId: string;
  /** Jobs run at once, advertised in `register`. */
  capacity: number;
  /** Backpressure thresholds on vLLM's waiting requests. Default 0 and 0. */
  pauseThreshold?: number;
  resumeThreshold?: number;
};

export type WorkerContext = {
  settings: WorkerInput;
  jobs: JobRecord<RunningJob>;
  /** Why the worker is going down with exit code 1, when it is. */
  failure: EngineFailure | undefined;
  startupMs: number | undefined;
  /** Results the queue did not confirm before the connection closed at shutdown. */
  undelivered: number;
};

/** 1: vLLM or the GPU failed; 3: results were not delivered (each logged with its job id). */
export type WorkerOutput = { exitCode: 0 | 1 | 3; failure: EngineFailure | undefined };

export type WorkerEvent =
  /** A signal, or the SDK's stop(). A second one cuts the waits for jobs and the queue short. */
  | { type: 'SHUTDOWN_REQUESTED'; signal?: string }
  | { type: 'HEARTBEAT_DUE' }
  /** Raised after an engine failure has been recorded and reported. */
  | { type: 'SHUTDOWN_FOR_FAILURE' }
  | { type: 'BACKPRESSURE_READING'; waiting: number }
  /** From the engine. */
  | { type: 'ENGINE_READY'; startupMs: number }
  | { type: 'ENGINE_UNHEALTHY'; reason: string }
  | { type: 'ENGINE_RECOVERED' }
  | { type: 'ENGINE_FAILED'; failure: EngineFailure }
  | { type: 'ENGINE_STOPPED' }
  /** From the connection. */
  | { type: 'QUEUE_CONNECTED'; connections: number }
  | { type: 'QUEUE_DISCONNECTED' }
  | { type: 'QUEUE_FRAME'; frame: QueueFrame }
  | { type: 'QUEUE_FRAME_REJECTED'; rejection: FrameRejection }
  | { type: 'CONNECTION_CLOSED'; undelivered: number }
  /** From the gate. */
  | { type: 'START_JOB'; job: JobFrame }
  | { type: 'SUPERSEDE_JOB'; jobId: string; fenceToken: number }
  | { type: 'REFUSE_JOBS'; jobs: JobFrame[]; reason: 'at_capacity' | 'draining' }
  | { type: 'GATE_DRAINED' }
  /** From a lease or a transient job actor. */
  | JobEndedEvent;

type FrameOf<T extends QueueFrame['type']> = Extract<QueueFrame, { type: T }>;

/** The heartbeat status a failure is reported with (worker.md, start-up and vLLM output). */
export function failureStatus(failure: EngineFailure): HeartbeatStatus {
  if (failure.kind === 'fatal' || failure.kind === 'gpu') return 'fatal';
  if (failure.kind === 'retryable' || failure.kind === 'crashed') return 'error';
  return 'failed';
}

function rejectionLog(rejection: FrameRejection): LogParams {
  return {
    level: 'warn',
    message: `ignored a frame from the queue: ${rejection.detail}`,
    fields: {
      reason: rejection.reason,
      preview: rejection.preview,
      ...(rejection.jobId ? { job_id: rejection.jobId } : {}),
    },
  };
}

function startedJob(event: WorkerEvent): JobFrame {
  if (event.type !== 'START_JOB') throw new Error(`expected START_JOB, got ${event.type}`);
  return event.job;
}

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
    lease: leaseMachine,
    transientJob: callbackNotProvided<JobCommand, { job: JobFrame }>('worker', 'transientJob'),
    backpressure: callbackNotProvided('worker', 'backpressure'),
    flushTelemetry: promiseNotProvided<void>('worker', 'flushTelemetry'),
    finalHeartbeat: promiseNotProvided<void, { status: HeartbeatStatus | undefined }>(
      'worker',
      'finalHeartbeat',
    ),
  },
  guards: {
    isRevocation: (_, params: { frame: QueueFrame }) => params.frame.type === 'job_revoked',
    revokesRunningJob: ({ context }, params: { frame: QueueFrame }) =>
      params.frame.type === 'job_revoked' && params.frame.job_id in context.jobs,
    isQueueError: (_, params: { frame: QueueFrame }) => params.frame.type === 'error',
    isPersisted: (_, params: { job: JobFrame }) => params.job.mode === 'persisted',
    isCurrentRun: ({ context }, params: { jobId: string; fenceToken: number }) =>
      context.jobs[params.jobId]?.fenceToken === params.fenceToken,
    isRunningJob: ({ context }, params: { jobId: string }) => params.jobId in context.jobs,
    hasFailed: ({ context }) => context.failure !== undefined,
    /** A `job` frame that failed validation but has a job_id: someone waits for an answer. */
    namesAJob: (_, params: { rejection: FrameRejection }) =>
      params.rejection.type === 'job' && params.rejection.jobId !== undefined,
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
    revokeInGate: sendTo('gate', (_, params: { frame: QueueFrame }) => ({
      type: 'JOB_REVOKED' as const,
      jobId: (params.frame as FrameOf<'job_revoked'>).job_id,
    })),
    relayBackpressure: sendTo('gate', (_, params: { waiting: number }) => ({
      type: 'BACKPRESSURE_READING' as const,
      waiting: params.waiting,
    })),
    settleInGate: sendTo('gate', (_, params: { jobId: string; fenceToken: number }) => ({
      type: 'JOB_SETTLED' as const,
      jobId: params.jobId,
      fenceToken: params.fenceToken,
    })),
    recordStartup: assign({ startupMs: (_, params: { startupMs: number }) => params.startupMs }),
    recordFailure: assign({ failure: (_, params: { failure: EngineFailure }) => params.failure }),
    track: assign({
      jobs: ({ context }, params: { job: JobFrame }) =>
        withEntry(context.jobs, params.job.job_id, {
          fenceToken: params.job.fence_token,
          mode: params.job.mode,
          startedAt: Date.now(),
        }),
    }),
    untrack: assign({
      jobs: ({ context }, params: { jobId: string }) => withoutEntry(context.jobs, params.jobId),
    }),
    spawnLease: spawnChild('lease', {
      id: ({ event }) => jobActorId(startedJob(event).job_id),
      input: ({ event }) => ({ job: startedJob(event) }),
    }),
    spawnTransientJob: spawnChild('transientJob', {
      id: ({ event }) => jobActorId(startedJob(event).job_id),
      input: ({ event }) => ({ job: startedJob(event) }),
    }),
    stopJob: stopChild((_, params: { jobId: string }) => jobActorId(params.jobId)),
    commandJob: sendTo(
      (_, params: { jobId: string; command: JobCommand }) => jobActorId(params.jobId),
      (_, params: { jobId: string; command: JobCommand }) => params.command,
    ),
    /** Sends one command to every running job (direct sends: their order does not matter). */
    commandAllJobs: ({ context, self }, params: { command: JobCommand }) => {
      const children = self.getSnapshot().children as Record<string, { send(e: JobCommand): void }>;
      for (const jobId of Object.keys(context.jobs))
        children[jobActorId(jobId)]?.send(params.command);
    },
    /** Transient jobs that will never run get an answer; persisted ones are left to their lease. */
    refuseJobs: actionNotProvided('worker', 'refuseJobs') as (
      _: unknown,
      params: { jobs: JobFrame[]; reason: 'at_capacity' | 'draining' },
    ) => void,
    /** A job frame that failed validation but named its job is answered with a job_error. */
    answerInvalidJob: sendTo(connectionRef, (_, params: { rejection: FrameRejection }) =>
      sendFrame({
        type: 'job_error',
        job_id: params.rejection.jobId!,
        error: `invalid job frame: ${params.rejection.detail}`,
        fence_token: params.rejection.fenceToken ?? 0,
      }),
    ),
  },
  delays: {
    /** CASOLA_SHUTDOWN_GRACE_PERIOD: how long shutdown waits for running jobs. Default 5 s. */
    GRACE_PERIOD: GRACE_PERIOD_MS,
    /** CASOLA_HEARTBEAT_INTERVAL. Default 60 s. */
    HEARTBEAT_INTERVAL: 60_000,
  },
}).createMachine({
  id: 'worker',
  context: ({ input }) => ({
    settings: input,
    jobs: emptyRecord(),
    failure: undefined,
    startupMs: undefined,
    undelivered: 0,
  }),
  invoke: [
    {
      id: 'engine',
      systemId: 'engine',
      src: 'engine',
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
      input: ({ context: { settings } }) => ({
        capacity: settings.capacity,
        ...(settings.pauseThreshold === undefined
          ? {}
          : { pauseThreshold: settings.pauseThreshold }),
        ...(settings.resumeThreshold === undefined
          ? {}
          : { resumeThreshold: settings.resumeThreshold }),
      }),
    },
  ],
  initial: 'booting',
  output: ({ context }) => ({
    exitCode: context.failure !== undefined ? 1 : context.undelivered > 0 ? 3 : 0,
    failure: context.failure,
  }),
  on: {
    // Job frames go from the socket straight to the gate (JOB_OFFERED); the rest come here.
    QUEUE_FRAME: [
      {
        guard: { type: 'revokesRunningJob', params: ({ event }) => event },
        actions: {
          type: 'commandJob',
          params: ({ event }) => {
            const frame = event.frame as FrameOf<'job_revoked'>;
            return { jobId: frame.job_id, command: { type: 'JOB_REVOKED', reason: frame.reason } };
          },
        },
      },
      {
        // Not running here, but it may wait in the gate's line for a slot.
        guard: { type: 'isRevocation', params: ({ event }) => event },
        actions: { type: 'revokeInGate', params: ({ event }) => event },
      },
      {
        guard: { type: 'isQueueError', params: ({ event }) => event },
        actions: {
          type: 'log',
          params: ({ event }) => ({
            level: 'error',
            message: `the queue rejected a frame: ${(event.frame as FrameOf<'error'>).message}`,
          }),
        },
      },
      {
        actions: {
          type: 'log',
          // A job frame comes here only from a socket with no gate to give it to: a wiring
          // bug, never a queue's doing; it is said loudly rather than dropped in silence.
          params: ({ event }) =>
            event.frame.type === 'job'
              ? {
                  level: 'error',
                  message: 'a job frame reached the worker instead of the gate: it is not run',
                  fields: { job_id: event.frame.job_id },
                }
              : {
                  level: 'debug',
                  message: 'the queue acknowledged an uploaded result',
                  fields: { frame: event.frame },
                },
        },
      },
    ],
    QUEUE_FRAME_REJECTED: [
      {
        guard: { type: 'namesAJob', params: ({ event }) => event },
        actions: [
          { type: 'log', params: ({ event }) => rejectionLog(event.rejection) },
          { type: 'answerInvalidJob', params: ({ event }) => event },
        ],
      },
      { actions: { type: 'log', params: ({ event }) => rejectionLog(event.rejection) } },
    ],
    START_JOB: [
      {
        guard: { type: 'isPersisted', params: ({ event }) => event },
        actions: [{ type: 'track', params: ({ event }) => event }, 'spawnLease'],
      },
      {
        actions: [{ type: 'track', params: ({ event }) => event }, 'spawnTransientJob'],
      },
    ],
    SUPERSEDE_JOB: {
      guard: { type: 'isRunningJob', params: ({ event }) => event },
      actions: [
        {
          type: 'commandJob',
          params: ({ event }) => ({ jobId: event.jobId, command: { type: 'JOB_SUPERSEDED' } }),
        },
        { type: 'stopJob', params: ({ event }) => event },
        { type: 'untrack', params: ({ event }) => event },
      ],
    },
    REFUSE_JOBS: { actions: { type: 'refuseJobs', params: ({ event }) => event } },
    JOB_ENDED: {
      guard: { type: 'isCurrentRun', params: ({ event }) => event },
      actions: [
        { type: 'settleInGate', params: ({ event }) => event },
        { type: 'stopJob', params: ({ event }) => event },
        { type: 'untrack', params: ({ event }) => event },
      ],
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
          type: 'commandAllJobs',
          params: ({ event }) => ({
            command: { type: 'JOB_FAILED', message: `vLLM failed: ${event.failure.message}` },
          }),
        },
        raise({ type: 'SHUTDOWN_FOR_FAILURE' }),
      ],
    },
  },
  states: {
    /** vLLM is starting (GPU check, spawn, health, models); the queue is not connected. */
    booting: {
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
    /** Connected (or reconnecting) to the queue and running jobs. */
    online: {
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
        /** vLLM's /health answers 200: heartbeats say `active`. */
        serving: {
          on: {
            QUEUE_CONNECTED: { actions: { type: 'heartbeat', params: { status: 'active' } } },
            HEARTBEAT_DUE: {
              actions: [{ type: 'heartbeat', params: { status: 'active' } }, 'scheduleHeartbeat'],
            },
            ENGINE_UNHEALTHY: {
              target: 'degraded',
              actions: {
                type: 'log',
                params: ({ event }) => ({
                  level: 'warn',
                  message: `vLLM is unhealthy: ${event.reason}`,
                }),
              },
            },
          },
        },
        /** vLLM's /health fails: `active` heartbeats are skipped until it recovers. */
        degraded: {
          on: {
            HEARTBEAT_DUE: { actions: 'scheduleHeartbeat' },
            ENGINE_RECOVERED: {
              target: 'serving',
              actions: { type: 'log', params: { level: 'info', message: 'vLLM is healthy again' } },
            },
          },
        },
      },
    },
    /** The shutdown sequence; each step waits for the one before. */
    shuttingDown: {
      entry: 'startGrace',
      on: {
        SHUTDOWN_REQUESTED: {
          actions: [
            'endGrace',
            {
              type: 'log',
              params: { level: 'warn', message: 'second signal: not waiting for the queue' },
            },
          ],
        },
      },
      initial: 'draining',
      states: {
        /** `drain` sent; running jobs finish and their results go out. */
        draining: {
          entry: 'drainGate',
          on: {
            GATE_DRAINED: 'flushing',
            SHUTDOWN_REQUESTED: {
              target: 'interrupting',
              actions: [
                'endGrace',
                {
                  type: 'log',
                  params: { level: 'warn', message: 'second signal: not waiting for running jobs' },
                },
              ],
            },
          },
          after: { GRACE_PERIOD: 'interrupting' },
        },
        /** Time is up: running jobs are aborted; transient ones are answered with an error. */
        interrupting: {
          entry: { type: 'commandAllJobs', params: { command: { type: 'JOB_INTERRUPTED' } } },
          always: 'flushing',
        },
        /** Logs and metrics are shipped one last time. */
        flushing: {
          invoke: { src: 'flushTelemetry', onDone: 'closing', onError: 'closing' },
        },
        /** The connection closes once the queue has every result, or the grace period is over. */
        closing: {
          entry: 'closeConnection',
          on: {
            CONNECTION_CLOSED: {
              target: 'reporting',
              actions: { type: 'recordUndelivered', params: ({ event }) => event },
            },
          },
        },
        /** Heartbeat `stopping` (after a failure, the failure heartbeat is the last word). */
        reporting: {
          invoke: {
            src: 'finalHeartbeat',
            input: ({ context }) => ({ status: context.failure ? undefined : 'stopping' }),
            onDone: 'stoppingEngine',
            onError: 'stoppingEngine',
          },
        },
        /** vLLM gets SIGTERM, then SIGKILL after its grace; the engine's end ends the worker. */
        stoppingEngine: {
          entry: 'stopEngine',
        },
      },
    },
    /** Everything is stopped; the output carries the exit code. */
    exited: { type: 'final' },
  },
});

export type WorkerMachine = typeof workerMachine;
