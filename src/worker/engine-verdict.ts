/**
 * A job that lost its connection to vLLM waits a moment before it fails. When vLLM itself
 * died, its socket closes a little before the worker learns that the process exited; the
 * engine's verdict then fails every running job with the cause ("vLLM failed: vLLM exited on
 * its own ..."), which tells the client more than "other side closed".
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { TaskError } from '../errors.ts';

/** How long a job waits for the engine's verdict after losing vLLM, in ms. */
export const ENGINE_VERDICT_WAIT_MS = 1_000;

/**
 * Runs `task`; when it fails because vLLM could not be reached, waits until `signal` aborts
 * (the worker failing the job with the cause) or `waitMs` has passed, then fails as it would
 * have. Other failures are thrown at once.
 */
export async function awaitingEngineVerdict<T>(
  task: () => Promise<T>,
  signal: AbortSignal,
  waitMs = ENGINE_VERDICT_WAIT_MS,
): Promise<T> {
  try {
    return await task();
  } catch (error) {
    if (error instanceof TaskError && error.reason === 'engine_unreachable') {
      await sleep(waitMs, undefined, { signal }).catch(() => undefined);
    }
    throw error;
  }
}
