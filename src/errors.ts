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
