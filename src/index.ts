/**
 * casola-worker as a library: the SDK for custom workers, the protocol, and the building
 * blocks of the vLLM worker.
 */
// First: one line and exit 1 on a Node.js too old for the dependencies, before they load.
import './node-version-check.ts';

/** The protocol's and the worker's defaults, which the options' TSDoc names. */
export { DEFAULTS } from '../machines/defaults.ts';
export type { WorkerOutput } from '../machines/worker.machine.ts';
export { CONFIG_DEFAULTS } from './config-schema.ts';
export { JobAbortedError, WorkerOptionsError } from './errors.ts';
export type { Job, JobContext, JobHandler } from './jobs/types.ts';
export {
  checkGpuHealth,
  type GpuHealth,
  type GpuHealthOptions,
  type GpuRow,
} from './observability/gpu-health.ts';
export {
  createNvidiaSmiRunner,
  execaNvidiaSmi,
  type NvidiaSmiResult,
  type NvidiaSmiRunner,
} from './observability/nvidia-smi.ts';
export * from './protocol/index.ts';
export { type CasolaWorker, createWorker, type WorkerOptions } from './sdk.ts';
export {
  createStatusServer,
  type StatusServer,
  type StatusServerOptions,
} from './status/server.ts';
export type { WorkerTimings } from './worker/logic.ts';
export type { JobState, WorkerState } from './worker/state.ts';
