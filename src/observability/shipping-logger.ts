/**
 * The worker's logger: pino JSON lines to stdout, and every entry also pushed to the log
 * shipper with its context (`job_id`, `config_id`, `source`, from the call or from a child
 * logger's bindings).
 *
 * Wired with pino's `hooks.logMethod` rather than a multistream: the hook sees the call's
 * arguments before pino serializes them, so an entry costs reading the (small) bindings and
 * formatting the message; a second stream would have to JSON.parse every serialized line,
 * error stacks and large objects included. Disabled levels never reach the hook.
 */
import { format } from 'node:util';
import { type DestinationStream, type Logger, pino } from 'pino';
import type { LogEntry, LogLevel, LogShipper } from './log-shipper.ts';
import { redactValues } from './redact.ts';
import { stdoutStream } from './stdout.ts';

export type ShippingLoggerOptions = {
  /** Receives every entry logged at an enabled level. */
  shipper: Pick<LogShipper, 'enabled' | 'push'>;
  /** Where JSON lines go. Default the process's stdout stream (bounded, see stdout.ts). */
  destination?: DestinationStream;
  /** pino level name. Default `info`, or `LOG_LEVEL` when set. */
  level?: string;
  /**
   * The `source` of every entry. Default `worker`. vLLM's lines get a logger of their own with
   * `vllm` (a child binding would write the key twice on every line).
   */
  source?: 'worker' | 'vllm';
  /**
   * Values never written or shipped: each is replaced by `****` in the message (vLLM's lines
   * echo its arguments, `--api-key` included). Default none.
   */
  secrets?: readonly string[];
};

export function createShippingLogger(options: ShippingLoggerOptions): Logger {
  const { shipper } = options;
  const secrets = (options.secrets ?? []).filter((secret) => secret !== '');
  const level = options.level ?? process.env.LOG_LEVEL ?? 'info';
  return pino(
    {
      level,
      base: { source: options.source ?? 'worker' },
      hooks: {
        logMethod(args, method, levelValue) {
          if (secrets.length > 0) {
            for (const [i, arg] of args.entries()) {
              if (typeof arg === 'string') args[i] = redactValues(arg, secrets);
            }
          }
          if (shipper.enabled) shipper.push(toEntry(this, args, levelValue));
          method.apply(this, args);
        },
      },
    },
    options.destination ?? stdoutStream(),
  );
}

/** pino's numeric levels (trace 10 ... fatal 60) as the platform's four names. */
function levelName(value: number): LogLevel {
  if (value >= 50) return 'error';
  if (value >= 40) return 'warning';
  if (value >= 30) return 'info';
  return 'debug';
}

type Fields = Record<string, unknown>;

function toEntry(logger: Logger, args: unknown[], levelValue: number): LogEntry {
  const [first, ...rest] = args;
  const hasObject = typeof first === 'object' && first !== null;
  const fields: Fields = hasObject ? (first as Fields) : {};
  const message = messageOf(hasObject ? rest : args, first);
  const context = { ...logger.bindings(), ...fields };
  const entry: LogEntry = {
    timestamp: Date.now() / 1000,
    level: levelName(levelValue),
    source: context.source === 'vllm' ? 'vllm' : 'worker',
    message,
  };
  if (typeof context.job_id === 'string') entry.job_id = context.job_id;
  if (typeof context.config_id === 'string') entry.config_id = context.config_id;
  return entry;
}

/** The message pino would write (printf-style arguments), plus the error's own message. */
function messageOf(messageArgs: unknown[], first: unknown): string {
  const error = first instanceof Error ? first : (first as Fields | undefined)?.err;
  const text = messageArgs.length > 0 ? format(...messageArgs) : '';
  if (!(error instanceof Error)) return text;
  return text === '' || text === error.message ? error.message : `${text}: ${error.message}`;
}
