/**
 * Logging is pino: JSON lines to stdout. Child loggers carry `job_id`, `config_id` and
 * `source` (worker | vllm) so that every entry can be shipped with its context.
 */
import { type DestinationStream, type Logger, pino } from 'pino';
import { stdoutStream } from './stdout.ts';

export type { Logger } from 'pino';

export type LoggerOptions = {
  /** pino level name. Default `info`, or `LOG_LEVEL` when set. */
  level?: string;
  /** Where JSON lines go. Default the process's stdout stream (bounded, see stdout.ts). */
  destination?: DestinationStream;
  /** Every line's `source`. Default `worker`. */
  source?: string;
};

export function createLogger(options: LoggerOptions = {}): Logger {
  const level = options.level ?? process.env.LOG_LEVEL ?? 'info';
  return pino(
    { level, base: { source: options.source ?? 'worker' } },
    options.destination ?? stdoutStream(),
  );
}

/** A logger that writes nothing: for tests and embedders that bring their own. */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
