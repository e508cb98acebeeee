import { ABORT_MESSAGES, type AbortReason } from '../machines/types.ts';

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

/** createWorker was given options that cannot make a worker; `problems` names each one. */
export class WorkerOptionsError extends CasolaError {
  readonly problems: readonly string[];

  constructor(problems: readonly string[]) {
    super(`invalid worker options:\n  - ${problems.join('\n  - ')}`);
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

/** The status server (CASOLA_STATUS_PORT) could not listen; the worker runs without it. */
export class StatusListenError extends CasolaError {
  constructor(host: string, port: number, cause: unknown) {
    super(
      `the status server could not listen on ${host}:${port}; set CASOLA_STATUS_PORT to a free port (0 picks one) or unset it`,
      { cause },
    );
  }
}

/** Shutdown's last flush left logs or metrics unshipped: they are lost with the process. */
export class TelemetryNotShippedError extends CasolaError {
  /** What was shipped (true) and what was not (false). */
  constructor(shipped: { logs: boolean; metricsSnapshot: boolean }) {
    const lost = [
      ...(shipped.logs ? [] : ['log entries']),
      ...(shipped.metricsSnapshot ? [] : ['the last metrics snapshot']),
    ];
    super(
      `${lost.join(' and ')} could not be shipped at shutdown and are lost; ` +
        'check that CASOLA_LOGS_URL and CASOLA_METRICS_URL answer 2xx to the API token',
    );
  }
}

/** The worker's last heartbeat did not reach the platform API. */
export class HeartbeatNotDeliveredError extends CasolaError {
  /** `status`: the heartbeat's, when the worker knows it (`stopping`). */
  constructor(status?: string) {
    super(
      `the last heartbeat${status === undefined ? '' : ` ('${status}')`} was not delivered, so ` +
        'the platform may still show an earlier status; check CASOLA_API_URL and CASOLA_API_TOKEN',
    );
  }
}

/**
 * What a thrown value says, as text: an Error's message, a string as it is, anything else as
 * JSON or as String() makes it. Never throws itself: a handler may throw a BigInt, a circular
 * object, or a Proxy whose every trap throws.
 */
export function errorMessage(error: unknown): string {
  try {
    if (error instanceof Error) return error.message || error.name;
    if (typeof error === 'string') return error;
    try {
      const json = JSON.stringify(error);
      if (json !== undefined) return json;
    } catch {
      // Not JSON (a BigInt, a cycle): String() below.
    }
    return String(error);
  } catch {
    return 'the handler threw a value that cannot be shown';
  }
}
