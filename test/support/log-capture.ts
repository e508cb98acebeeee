/**
 * A pino logger that writes into memory, so tests can assert on log lines: what was said,
 * and what must never be said (tokens).
 */
import { Writable } from 'node:stream';
import { type Logger, pino } from 'pino';

/** pino's numbers for its levels, as they appear in a line's `level`. */
export const LEVELS = { debug: 20, info: 30, warn: 40, error: 50 } as const;

export type CapturedLogs = {
  logger: Logger;
  /** A stream to hand to code that builds its own pino logger. */
  destination: Writable;
  /** Every line written so far, raw. */
  lines(): string[];
  /** Every line parsed as JSON. */
  entries(): Array<Record<string, unknown>>;
};

export function captureLogs(level = 'debug'): CapturedLogs {
  const lines: string[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      lines.push(...chunk.toString('utf8').split('\n').filter(Boolean));
      callback();
    },
  });
  return {
    logger: pino({ level }, destination),
    destination,
    lines: () => [...lines],
    entries: () => lines.map((line) => JSON.parse(line) as Record<string, unknown>),
  };
}
