/**
 * What the chaos run asks of the worker: a seeded plan of jobs (mode, how long each takes,
 * whether it fails on purpose or returns a result large enough to be offloaded), and the
 * handler that carries the plan out and records every (job id, fence token) it was run under.
 */
import type { JobHandler } from '../../src/index.ts';
import type { Prng } from '../support/prng.ts';

/** ok: returns `{ i }` · fail: throws · big: returns more than 256 KiB (offloaded when it can be). */
export type JobKind = 'ok' | 'fail' | 'big';

export type PlannedJob = {
  i: number;
  mode: 'transient' | 'persisted';
  kind: JobKind;
  /** How long the handler takes (ms). */
  ms: number;
  /** Revoke this job at a random moment. */
  revoke: boolean;
  /** Put a revoked job back in the backlog under a new fence token (persisted only). */
  redispatch: boolean;
};

/** The size of a `big` result's blob: over the 256 KiB offload threshold. */
export const BIG_BLOB_CHARS = 300 * 1024;

export function planJobs(prng: Prng, count: number): PlannedJob[] {
  return Array.from({ length: count }, (_, i) => {
    const mode = prng.chance(0.5) ? 'persisted' : 'transient';
    const roll = prng.next();
    const kind: JobKind = roll < 0.1 ? 'fail' : roll < 0.13 ? 'big' : 'ok';
    const revoke = prng.chance(0.05);
    const redispatch = revoke && mode === 'persisted' && prng.chance(0.5);
    return { i, mode, kind, ms: duration(prng, revoke), revoke, redispatch };
  });
}

/**
 * Most jobs are quick; a few outlive the lease (300 ms) and live on renewals. Jobs to be
 * revoked run long enough for the revocation to find them running.
 */
function duration(prng: Prng, revoke: boolean): number {
  if (revoke) return prng.int(40, 200);
  const roll = prng.next();
  if (roll < 0.03) return prng.int(200, 500);
  return roll < 0.13 ? prng.int(20, 100) : prng.int(0, 20);
}

export function expectedResult(job: PlannedJob): unknown {
  return job.kind === 'big' ? { i: job.i, blob: 'x'.repeat(BIG_BLOB_CHARS) } : { i: job.i };
}

export function expectedError(job: PlannedJob): string {
  return `planned failure of job ${job.i}`;
}

/** A run of the handler: which job, under which token, whether its signal fired, when it ended. */
export type Invocation = {
  jobId: string;
  fenceToken: number;
  aborted: boolean;
  /** performance.now() when the handler was called. */
  startedAt: number;
  /** performance.now() when the handler returned or threw on purpose; unset while it runs or once aborted. */
  finishedAt: number | undefined;
};

export function plannedHandler(invocations: Invocation[]): JobHandler {
  return async (job, { signal }) => {
    const invocation: Invocation = {
      jobId: job.id,
      fenceToken: job.fenceToken,
      aborted: false,
      startedAt: performance.now(),
      finishedAt: undefined,
    };
    invocations.push(invocation);
    const spec = job.payload as PlannedJob;
    signal.addEventListener('abort', () => {
      invocation.aborted = true;
    });
    await sleep(spec.ms, signal);
    invocation.finishedAt = performance.now();
    if (spec.kind === 'fail') throw new Error(expectedError(spec));
    return expectedResult(spec);
  };
}

/** Waits `ms`, or rejects with the signal's reason when it fires first. */
function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) {
      reject(signal.reason);
      return;
    }
    const timer = setTimeout(resolve, ms);
    signal.addEventListener(
      'abort',
      () => {
        clearTimeout(timer);
        reject(signal.reason);
      },
      { once: true },
    );
  });
}
