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
