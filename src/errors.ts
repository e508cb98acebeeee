import type { AbortReason } from '../machines/types.ts';

/**
 * Named errors. Each message says what happened and what to do about it; the cause, when
 * there is one, rides along in `cause`.
 */

/** Base class: every error the worker raises on purpose is a CasolaError. */
export class CasolaError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** The environment does not describe a runnable worker (exit code 2). */
export class ConfigError extends CasolaError {
  readonly problems: readonly string[];

  constructor(problems: readonly string[]) {
    super(`invalid configuration:\n  - ${problems.join('\n  - ')}`);
    this.problems = problems;
  }
}

/** The reason a job's AbortSignal fired: `signal.reason` is one of these. */
export class JobAbortedError extends CasolaError {
  readonly reason: AbortReason;

  constructor(reason: AbortReason) {
    super(ABORT_MESSAGES[reason]);
    this.reason = reason;
  }
}

const ABORT_MESSAGES = {
  revoked: 'the queue revoked the job (lease lost, cancelled or re-dispatched)',
  superseded: 'a newer dispatch of the same job replaced this run',
  shutdown: 'the worker shut down before the job finished',
  engine_failed: 'vLLM failed while the job ran',
} as const;

/** The job's payload_url could not be fetched; the job fails rather than run on `{}`. */
export class PayloadFetchError extends CasolaError {}

/** A test waited on the local queue's event log and nothing matched in time. */
export class QueueEventTimeoutError extends CasolaError {
  constructor(timeoutMs: number, recentKinds: readonly string[]) {
    super(
      `no local queue event matched within ${timeoutMs} ms (latest events: ${recentKinds.join(', ') || 'none'}); ` +
        'check that the awaited frame or request was actually sent, or raise timeoutMs',
    );
  }
}

/** The local queue could not listen on its address. */
export class QueueListenError extends CasolaError {
  constructor(host: string, port: number, cause: unknown) {
    super(
      `the local queue could not listen on ${host}:${port}; choose a free port (--port) or another host`,
      { cause },
    );
  }
}

/** A test asked the local queue for a fault it cannot inject (unknown worker or job). */
export class QueueFaultError extends CasolaError {
  constructor(fault: string, problem: string) {
    super(
      `cannot inject ${fault}: ${problem}; check the id against queue.workers() or queue.getJob()`,
    );
  }
}
