/**
 * The engine actor: the engine machine with vLLM as a real child process.
 */
import { fromPromise } from 'xstate';
import { engineMachine, type GpuCheckOutput } from '../../machines/engine.machine.ts';
import { httpBase } from '../net/http-base.ts';
import { checkGpuHealth } from '../observability/gpu-health.ts';
import { logAction } from '../observability/log-action.ts';
import type { Logger } from '../observability/logger.ts';
import type { NvidiaSmiRunner } from '../observability/nvidia-smi.ts';
import { engineApiKeyOf, type ServeSettings } from './command.ts';
import { createHealthActors, type HealthOptions } from './health.ts';
import { createProcessActor } from './process.ts';

export type EngineOptions = {
  settings: ServeSettings;
  logger: Logger;
  /** vLLM's own lines go here (source `vllm`). Default: `logger`, with source `vllm` bound. */
  vllmLogger?: Logger;
  /** SIGTERM, then SIGKILL after this long. Default 5 000 ms. */
  killGraceMs?: number;
  gpu: { runner: NvidiaSmiRunner; expectedGpuName?: string; expectedVramGb?: number };
  health?: Omit<HealthOptions, 'baseUrl' | 'onNotReady' | 'servedModelName' | 'apiKey'>;
};

export function createEngineLogic(options: EngineOptions) {
  const { settings, logger, gpu } = options;
  const health = createHealthActors({
    ...options.health,
    baseUrl: httpBase(settings.host, settings.port),
    servedModelName: settings.servedModelName,
    apiKey: engineApiKeyOf(settings),
    onNotReady: (reason) => logger.info({ reason }, `vLLM /health is not ready yet: ${reason}`),
  });
  return engineMachine.provide({
    actors: {
      gpuCheck: fromPromise<GpuCheckOutput>(async () => {
        const result = await checkGpuHealth({ ...gpu, logger });
        return result.status === 'failed'
          ? { ok: false, message: result.message ?? 'gpu_health_check failed' }
          : { ok: true };
      }),
      vllm: createProcessActor({
        settings,
        logger,
        vllmLogger: options.vllmLogger ?? logger.child({ source: 'vllm' }),
      }),
      ...health,
    },
    actions: { log: logAction(logger) },
    delays: {
      ...(options.killGraceMs === undefined ? {} : { KILL_GRACE: options.killGraceMs }),
    },
  });
}
