/**
 * Readiness as /readyz reports it: the engine is ready and the queue connection is online, and
 * the worker is not on its way down. Otherwise every reason why not.
 */
import type { WorkerState } from '../worker/state.ts';

export type Readiness = { ready: true } | { ready: false; reasons: string[] };

export function readiness(state: WorkerState): Readiness {
  const reasons: string[] = [];
  if (state.worker.startsWith('shuttingDown') || state.worker === 'exited') {
    reasons.push(`the worker is shutting down (${state.worker})`);
  }
  if (state.engine !== 'running.ready') reasons.push(`the engine is ${state.engine}, not ready`);
  if (!state.connection.startsWith('linked.online')) {
    reasons.push(`the queue connection is ${state.connection}, not online`);
  }
  return reasons.length === 0 ? { ready: true } : { ready: false, reasons };
}
