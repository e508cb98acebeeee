/**
 * Which tasks a worker has said it does not serve. The protocol has no list of a worker's
 * tasks, but a worker that gets a task it lacks answers `Unsupported task: '<name>' ...`
 * (src/tasks/index.ts, as the reference worker words it). The queue remembers that per worker
 * until the worker registers again, so the next request for that task is answered 501 up
 * front instead of being sent to a worker that will refuse it.
 */
import type { JsonValue } from '../../protocol/index.ts';

/** How a worker says it has no such task. */
const UNSUPPORTED_TASK = /^Unsupported task: /;

export function saysUnsupportedTask(error: string): boolean {
  return UNSUPPORTED_TASK.test(error);
}

/** The task a payload names, or undefined. */
export function taskOf(payload: JsonValue): string | undefined {
  if (typeof payload !== 'object' || payload === null || Array.isArray(payload)) return undefined;
  const { task } = payload;
  return typeof task === 'string' && task !== '' ? task : undefined;
}
