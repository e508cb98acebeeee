/**
 * The shutdown deadline of the telemetry flush: the last log batches and the last metrics
 * snapshot share it, so that an endpoint that answers slowly (or never) holds the worker's exit
 * back by at most this long, whatever its per-request timeout.
 */

/** How long the flush at shutdown may take, in ms: logs and metrics at once. Default 10 000 ms. */
export const FLUSH_DEADLINE_MS = 10_000;

/**
 * `work`'s value, or `late()`'s once `ms` have passed without it. The work is not cancelled:
 * what it still holds is let go when the process exits.
 */
export async function withinDeadline<T>(work: Promise<T>, ms: number, late: () => T): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<'late'>((resolve) => {
    timer = setTimeout(() => resolve('late'), ms);
  });
  try {
    const first = await Promise.race([work, deadline]);
    return first === 'late' ? late() : first;
  } finally {
    clearTimeout(timer);
  }
}
