/**
 * Where the engine must be after a walk's events, and what its parent must have heard, from the
 * events alone: written from worker.md (start-up phases, failure causes, stop with SIGTERM then
 * SIGKILL) and not from machines/engine.machine.ts. The walk's model is the machine itself, so a
 * wrong target or a lost failure message moves the model and the engine together and their
 * states still agree; this does not move with them (issue 20).
 */
import { expect } from 'vitest';
import type { AnyEventObject } from 'xstate';
import {
  GPU_CHECKED,
  HEALTHY,
  KILL_GRACE,
  MODELS_CHECKED,
  MODELS_FAILED,
  STARTUP_TIMEOUT,
  TERMINATE_GRACE,
} from './engine-walks.ts';

/** The error line the walk's vLLM prints before it exits on its own (engine.model.test.ts). */
export const LAST_ERROR_LINE = 'ERROR [api_server.py:1] the walk made vLLM exit';

/** The engine's states, by the path its state value has (`running.starting.spawning`). */
export type EngineStage =
  | 'checkingGpu'
  | 'gpuFailed'
  | 'running.starting.spawning'
  | 'running.starting.waitingForHealth'
  | 'running.starting.checkingModels'
  | 'running.ready'
  | 'running.unhealthy'
  | 'running.fatal'
  | 'running.retryable'
  | 'running.startupTimeout'
  | 'running.modelsCheck'
  | 'running.crashed'
  | 'running.stopping.terminating'
  | 'running.stopping.killing'
  | 'stopped';

export type EnginePath = {
  stage: EngineStage;
  /** What the parent heard, in order (ENGINE_READY's start-up time is any number). */
  notices: AnyEventObject[];
  /** The start-up phases logged as finished, in order. */
  phases: string[];
};

/** A state that fails the engine for good, and the failure the parent hears. */
function failed(stage: EngineStage, failure: Record<string, unknown>): Partial<EnginePath> {
  return { stage, notices: [{ type: 'ENGINE_FAILED', failure }] };
}

const STARTING = new Set<EngineStage>([
  'running.starting.spawning',
  'running.starting.waitingForHealth',
  'running.starting.checkingModels',
]);
/** Failed with vLLM still running: later lines and its exit change nothing; STOP stops it. */
const FAILED_RUNNING = new Set<EngineStage>([
  'running.fatal',
  'running.retryable',
  'running.startupTimeout',
  'running.modelsCheck',
]);

/** One event's effect (undefined: the stage stays and nothing is heard). */
function step(
  stage: EngineStage,
  event: AnyEventObject,
  startupTimeoutMs: number,
  everReady: boolean,
): Partial<EnginePath> | undefined {
  const serving = STARTING.has(stage) || stage === 'running.ready' || stage === 'running.unhealthy';
  const stopped = { stage: 'stopped' as const, notices: [{ type: 'ENGINE_STOPPED' }] };
  switch (event.type) {
    case GPU_CHECKED:
      if (stage !== 'checkingGpu') return undefined;
      if (!event.output.ok)
        return failed('gpuFailed', { kind: 'gpu', message: event.output.message });
      return { stage: 'running.starting.spawning', phases: ['gpu_check'] };
    case 'PROCESS_SPAWNED':
      if (stage !== 'running.starting.spawning') return undefined;
      return { stage: 'running.starting.waitingForHealth', phases: ['spawn'] };
    case HEALTHY:
      if (stage !== 'running.starting.waitingForHealth') return undefined;
      return { stage: 'running.starting.checkingModels', phases: ['health'] };
    case MODELS_CHECKED:
      if (stage !== 'running.starting.checkingModels') return undefined;
      return {
        stage: 'running.ready',
        phases: ['models'],
        notices: [{ type: 'ENGINE_READY', startupMs: expect.any(Number) }],
      };
    case MODELS_FAILED:
      if (stage !== 'running.starting.checkingModels') return undefined;
      return failed('running.modelsCheck', {
        kind: 'models_check',
        message: `vLLM /v1/models check failed: ${String(event.error)}`,
      });
    case STARTUP_TIMEOUT:
      if (!STARTING.has(stage)) return undefined;
      return failed('running.startupTimeout', {
        kind: 'startup_timeout',
        message: `vLLM did not become healthy within ${startupTimeoutMs / 1000} s (VLLM_STARTUP_TIMEOUT): raise VLLM_STARTUP_TIMEOUT if the model needs longer to download and load, or read vLLM's last lines for why it stalled`,
      });
    case 'PROCESS_LINE_CLASSIFIED': {
      if (!serving) return undefined;
      const label = event.kind === 'fatal' ? 'FATAL' : 'RETRYABLE';
      return failed(event.kind === 'fatal' ? 'running.fatal' : 'running.retryable', {
        kind: event.kind,
        message: `${label} vLLM error detected (pattern: ${event.pattern}): ${event.line}`,
        pattern: event.pattern,
        line: event.line,
      });
    }
    case 'PROCESS_EXITED': {
      if (stage.startsWith('running.stopping')) return stopped;
      if (!serving) return undefined;
      // Before it was ever ready, vLLM's last error line says why it exited (a taken port).
      const cause = everReady ? '' : `: ${LAST_ERROR_LINE}`;
      return failed('running.crashed', {
        kind: 'crashed',
        message: `vLLM exited on its own (exit code ${event.exitCode}, signal none)${cause}`,
      });
    }
    case 'HEALTH_LOST':
      if (stage !== 'running.ready') return undefined;
      return {
        stage: 'running.unhealthy',
        notices: [{ type: 'ENGINE_UNHEALTHY', reason: event.reason }],
      };
    case 'HEALTH_REGAINED':
      if (stage !== 'running.unhealthy') return undefined;
      return { stage: 'running.ready', notices: [{ type: 'ENGINE_RECOVERED' }] };
    case TERMINATE_GRACE:
      return stage === 'running.stopping.terminating'
        ? { stage: 'running.stopping.killing' }
        : undefined;
    case KILL_GRACE:
      return stage === 'running.stopping.killing' ? stopped : undefined;
    case 'STOP':
      // Before vLLM exists, or after it exited, there is nothing to terminate.
      if (stage === 'checkingGpu' || stage === 'gpuFailed' || stage === 'running.crashed') {
        return stopped;
      }
      if (serving || FAILED_RUNNING.has(stage)) return { stage: 'running.stopping.terminating' };
      return undefined;
    default:
      throw new Error(`the engine oracle does not know ${event.type}`);
  }
}

/** The engine's path after `events`, run with VLLM_STARTUP_TIMEOUT `startupTimeoutMs`. */
export function expectedEnginePath(
  events: readonly AnyEventObject[],
  startupTimeoutMs: number,
): EnginePath {
  const path: EnginePath = { stage: 'checkingGpu', notices: [], phases: [] };
  for (const event of events) {
    const everReady = path.notices.some((notice) => notice.type === 'ENGINE_READY');
    const next = step(path.stage, event, startupTimeoutMs, everReady);
    if (next === undefined) continue;
    path.stage = next.stage ?? path.stage;
    path.notices.push(...(next.notices ?? []));
    path.phases.push(...(next.phases ?? []));
  }
  return path;
}
