/**
 * The engine's model, seen from outside: the event variants its walks take (with the payloads
 * the real engine produces for what the driver causes), which events the real world can
 * deliver in a state, and how each walk's vLLM and timers are set up before it starts (what
 * the parent must hear is engine.oracle.ts's).
 */
import type { AnyEventObject, AnyMachineSnapshot, EventObject } from 'xstate';
import type { EngineEvent } from '../../machines/engine.machine.ts';

export type Event<T extends EngineEvent['type']> = Extract<EngineEvent, { type: T }>;

/** Actor-done and delayed events, as the engine machine names them. */
export const GPU_CHECKED = 'xstate.done.actor.0.engine.checkingGpu';
export const HEALTHY = 'xstate.done.actor.0.engine.running.starting.waitingForHealth';
export const MODELS_CHECKED = 'xstate.done.actor.0.engine.running.starting.checkingModels';
export const MODELS_FAILED = 'xstate.error.actor.0.engine.running.starting.checkingModels';
export const STARTUP_TIMEOUT = 'xstate.after.STARTUP_TIMEOUT.engine.running.starting';
export const TERMINATE_GRACE = 'xstate.after.KILL_GRACE.engine.running.stopping.terminating';
export const KILL_GRACE = 'xstate.after.KILL_GRACE.engine.running.stopping.killing';

const FATAL_LINE = 'RuntimeError: CUDA driver version is insufficient for CUDA runtime version';
const RETRYABLE_LINE = 'torch.OutOfMemoryError: CUDA out of memory. Tried to allocate 2.00 GiB';

/** Payloads as the real engine has them for what the driver causes (the pid aside). */
export const ENGINE_EVENTS: AnyEventObject[] = [
  { type: GPU_CHECKED, output: { ok: true } },
  {
    type: GPU_CHECKED,
    output: {
      ok: false,
      message: 'gpu_health_check failed: nvidia-smi did not answer within 15 s',
    },
  },
  { type: 'PROCESS_SPAWNED', pid: 0 },
  {
    type: 'PROCESS_LINE_CLASSIFIED',
    kind: 'fatal',
    pattern: 'CUDA driver version is insufficient',
    line: FATAL_LINE,
  },
  {
    type: 'PROCESS_LINE_CLASSIFIED',
    kind: 'retryable',
    pattern: 'CUDA out of memory',
    line: RETRYABLE_LINE,
  },
  { type: 'PROCESS_EXITED', exitCode: 1, signal: null },
  { type: 'HEALTH_LOST', reason: 'HTTP 503' },
  { type: MODELS_FAILED, error: new Error('GET /v1/models: HTTP 500') },
];

/** Whether the real engine `handled` the event the walk caused (the pid and exit details aside). */
export function handledAs(caused: AnyEventObject, handled: EventObject): boolean {
  if (caused.type !== handled.type) return false;
  const real = handled as AnyEventObject;
  switch (caused.type) {
    case 'PROCESS_LINE_CLASSIFIED':
      return (
        caused.kind === real.kind && caused.pattern === real.pattern && caused.line === real.line
      );
    case 'HEALTH_LOST':
      return caused.reason === real.reason;
    case GPU_CHECKED:
      return JSON.stringify(caused.output) === JSON.stringify(real.output);
    default:
      return true;
  }
}

/**
 * What the real world can deliver where it is narrower than what the machine accepts.
 * `spawning` lasts until the next tick, when the child's spawn is reported: nothing else can
 * come first. `checkingModels` lasts one request to a local server: only its answer comes.
 */
export function possible(snapshot: AnyMachineSnapshot, event: EventObject): boolean {
  if (snapshot.matches({ running: { starting: 'spawning' } })) {
    return event.type === 'PROCESS_SPAWNED';
  }
  if (snapshot.matches({ running: { starting: 'checkingModels' } })) {
    return event.type.endsWith('.engine.running.starting.checkingModels');
  }
  return true;
}

export type WalkSetup = {
  /** The mock vLLM's flags: VLLM_EXTRA_ARGS. */
  mockArgs: string[];
  startupTimeoutMs: number;
  killGraceMs: number;
  /** How often the ready engine probes /health. */
  watchIntervalMs: number;
  /** vLLM's output outlives SIGKILL: KILL_GRACE runs out before its exit is seen. */
  lingers: boolean;
};

/** Long enough never to fire in a walk that does not wait for it, on a slow host too. */
const NEVER_MS = 30_000;

/**
 * What must be true before the walk starts. vLLM loads until the walk says it is done; the
 * timers are short only in walks that wait for them; vLLM ignores SIGTERM when the walk does
 * something after the stop other than see it exit; it fails its model list, or keeps its
 * output open after SIGKILL (an engine core that lingers), when the walk needs that.
 */
export function setupFor(events: readonly EventObject[]): WalkSetup {
  const has = (type: string) => events.some((event) => event.type === type);
  const mockArgs = ['--startup-delay-ms', '600000'];
  if (afterStop(events) !== undefined && afterStop(events) !== 'PROCESS_EXITED') {
    mockArgs.push('--ignore-sigterm');
  }
  if (has(MODELS_FAILED)) mockArgs.push('--models-fail');
  if (has(KILL_GRACE)) mockArgs.push('--engine-core-linger-ms', '3000');
  return {
    mockArgs,
    lingers: has(KILL_GRACE),
    // Only walks that lose health watch it often: elsewhere an exit is seen as an exit, not
    // first as a failed probe of the server it took down.
    watchIntervalMs: has('HEALTH_LOST') ? 20 : NEVER_MS,
    startupTimeoutMs: has(STARTUP_TIMEOUT) ? 300 : NEVER_MS,
    // Long enough to see vLLM gone before the engine stops waiting for it.
    killGraceMs: has(TERMINATE_GRACE) ? 1_000 : NEVER_MS,
  };
}

/** The event after the STOP that finds vLLM running (not before it spawned nor after it exited). */
function afterStop(events: readonly EventObject[]): string | undefined {
  let running = false;
  for (const [index, event] of events.entries()) {
    if (event.type === 'PROCESS_SPAWNED') running = true;
    if (event.type === 'PROCESS_EXITED') running = false;
    if (event.type === 'STOP' && running) return events[index + 1]?.type;
  }
  return undefined;
}
