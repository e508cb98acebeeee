/**
 * The worker machine's types, and the pure helpers its actions use: its input, context,
 * events and output, the heartbeat status of a failure, the line of each registration.
 */
import { DEFAULTS } from './defaults.ts';
import type { EngineFailure, EngineInput } from './engine.machine.ts';
import type { GateInput } from './gate.types.ts';
import type { FrameRejection, LogParams, QueueFrame } from './types.ts';

export type HeartbeatStatus = 'starting' | 'active' | 'error' | 'fatal' | 'failed' | 'stopping';

export type WorkerInput = {
  workerId: string;
  configId: string;
  /** Jobs run at once, advertised in `register`. */
  capacity: number;
  /** Backpressure thresholds on vLLM's waiting requests. Default 0 and 0. */
  pauseThreshold?: number;
  resumeThreshold?: number;
  /** VLLM_STARTUP_TIMEOUT, in ms, for the engine. Default 600 000 ms. */
  startupTimeoutMs?: number;
  /** VLLM_UNHEALTHY_TIMEOUT: running jobs are given up after vLLM is unhealthy this long, in ms. Default 60 000 ms. */
  unhealthyTimeoutMs?: number;
  /** Settled jobs the gate remembers to recognise re-deliveries. Default 1 000 (no setting). */
  settledMemory?: number;
};

export type WorkerContext = {
  settings: WorkerInput;
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
  | { type: 'GATE_DRAINED' };

export type FrameOf<T extends QueueFrame['type']> = Extract<QueueFrame, { type: T }>;

/** The heartbeat status a failure is reported with (worker.md, start-up and vLLM output). */
export function failureStatus(failure: EngineFailure): HeartbeatStatus {
  if (failure.kind === 'fatal' || failure.kind === 'gpu') return 'fatal';
  if (failure.kind === 'retryable' || failure.kind === 'crashed') return 'error';
  return 'failed';
}

/** The line for each registration: the first, and each after a reconnect. */
export function registeredLog(connections: number): LogParams {
  return {
    level: 'info',
    message:
      connections <= 1
        ? 'registered with the queue'
        : `registered with the queue again after a reconnect (connection ${connections})`,
    fields: { connections },
  };
}

/** VLLM_UNHEALTHY_TIMEOUT in force, in ms. */
export function unhealthyTimeoutMs(context: WorkerContext): number {
  return context.settings.unhealthyTimeoutMs ?? DEFAULTS.unhealthyTimeoutMs;
}

/** The error a transient job given up on an unhealthy vLLM is answered with. */
export function abandonedJobError(context: WorkerContext): string {
  return `vLLM was unhealthy (its /health failing) for ${unhealthyTimeoutMs(context) / 1000} s (VLLM_UNHEALTHY_TIMEOUT): the job was given up`;
}

/** The warning that vLLM turned unhealthy, and what the worker does meanwhile. */
export function unhealthyLog(reason: string): LogParams {
  return {
    level: 'warn',
    message: `vLLM is unhealthy: ${reason}; no job is taken until it recovers`,
  };
}

/** The one line said when running jobs are given up on an unhealthy vLLM. */
export function gaveUpLog(context: WorkerContext): LogParams {
  return {
    level: 'error',
    message: `vLLM has been unhealthy for ${unhealthyTimeoutMs(context) / 1000} s (VLLM_UNHEALTHY_TIMEOUT): running jobs are given up: transient ones are answered with job_error, persisted ones are no longer renewed, so the queue re-dispatches them when their leases expire`,
  };
}

/** The queue's `error` frame: it rejected a frame this worker sent. */
export function queueErrorLog(frame: QueueFrame): LogParams {
  return {
    level: 'error',
    message: `the queue rejected a frame: ${(frame as FrameOf<'error'>).message}`,
  };
}

/**
 * Any other frame the worker hears: an upload's acknowledgement. A job frame comes here only
 * from a socket with no gate to give it to: a wiring bug, never a queue's doing; it is said
 * loudly rather than dropped in silence.
 */
export function otherFrameLog(frame: QueueFrame): LogParams {
  return frame.type === 'job' || frame.type === 'job_revoked'
    ? {
        level: 'error',
        message: `a ${frame.type} frame reached the worker instead of the gate: it is not acted on`,
        fields: { job_id: frame.job_id },
      }
    : { level: 'debug', message: 'the queue acknowledged an uploaded result', fields: { frame } };
}

/** The engine's input: VLLM_STARTUP_TIMEOUT (the engine's default where it is not set). */
export function engineInput(settings: WorkerInput): EngineInput {
  return { startupTimeoutMs: settings.startupTimeoutMs };
}

/** The gate's input: the capacity, the backpressure thresholds and the memory of settled jobs. */
export function gateInput(settings: WorkerInput): GateInput {
  const { capacity, pauseThreshold, resumeThreshold, settledMemory } = settings;
  return { capacity, pauseThreshold, resumeThreshold, memorySize: settledMemory };
}
