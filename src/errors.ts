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

/**
 * Why a task failed, for the caller that turns it into a `job_error`: retry decisions and
 * quiet cancellations read this, people read the message.
 */
export type TaskFailure =
  /** The payload names a task this worker does not run. */
  | 'unsupported_task'
  /** The payload fails the task's schema; the message names the fields. */
  | 'invalid_payload'
  /** vLLM answered with an HTTP error (see `status`). */
  | 'engine_error'
  /** vLLM could not be reached, or the connection broke. */
  | 'engine_unreachable'
  /** vLLM answered 2xx with a body of the wrong shape. */
  | 'bad_engine_response'
  /** An input URL (audio_url, image_url) could not be fetched. */
  | 'download_failed'
  /** vLLM or a download took longer than the task allows. */
  | 'timeout'
  /** The job's signal aborted (revoked, or the worker is stopping). */
  | 'aborted';

export type TaskErrorOptions = ErrorOptions & {
  /** vLLM's HTTP status, when vLLM answered with an error. */
  status?: number;
};

/** A job's task produced no result; the message is what `job_error` reports. */
export class TaskError extends CasolaError {
  readonly reason: TaskFailure;
  /** vLLM's HTTP status, when vLLM answered with an error. */
  readonly status: number | undefined;

  constructor(reason: TaskFailure, message: string, options: TaskErrorOptions = {}) {
    super(message, options);
    this.reason = reason;
    this.status = options.status;
  }
}
