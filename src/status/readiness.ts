/**
 * Readiness as /readyz reports it: the engine is ready and the queue connection online, and
 * the worker is not on its way down (the machines' `ready`, `registered` and `stopping` tags).
 * Otherwise every reason why not, naming the state each part is in.
 */
import type { WorkerState } from '../worker/state.ts';

export type Readiness = { ready: true } | { ready: false; reasons: string[] };

export function readiness(state: WorkerState): Readiness {
  const reasons: string[] = [];
  const { flags } = state;
  if (flags.stopping) reasons.push(`the worker is shutting down (${state.worker})`);
  if (!flags.engineReady) reasons.push(`the engine is ${state.engine}, not ready`);
  if (!flags.registered) reasons.push(`the queue connection is ${state.connection}, not online`);
  return reasons.length === 0 ? { ready: true } : { ready: false, reasons };
}
