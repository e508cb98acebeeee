/**
 * Standard output for JSON log lines: one stream per process, shared by every logger, so that
 * lines from the worker's, vLLM's and the queue's loggers go out through one ordered buffer
 * and one bound covers them all.
 *
 * Writes are asynchronous (sonic-boom; pino flushes what is left when the process exits). A
 * container's log driver can stop reading for a while; the worker must keep running jobs and
 * renewing leases meanwhile, and its memory must not grow with what it would have printed. So
 * at most `limitBytes` wait in memory: lines past that are dropped and counted, and once stdout
 * takes lines again (or when the process exits) one warning says how many went missing. The
 * bound is on what waits, so a burst larger than it, logged faster than stdout is read, drops
 * lines too. Shipped logs are not affected:
 * the log shipper takes each entry before it is written here, and has its own bound.
 */
import { type DestinationStream, pino } from 'pino';

/** Default bound on log output waiting for stdout: 16 MiB. */
export const STDOUT_LIMIT_BYTES = 16 * 1024 * 1024;

export type StdoutOptions = {
  /** File descriptor written. Default 1 (stdout). */
  fd?: number;
  /** Most bytes of log lines held while the descriptor is not being read. Default 16 MiB. */
  limitBytes?: number;
};

export function createStdoutStream(options: StdoutOptions = {}): DestinationStream {
  const stream = pino.destination({
    dest: options.fd ?? 1,
    minLength: 0,
    sync: false,
    maxLength: options.limitBytes ?? STDOUT_LIMIT_BYTES,
  });
  let droppedLines = 0;
  let droppedBytes = 0;
  stream.on('drop', (line: string) => {
    droppedLines += 1;
    droppedBytes += Buffer.byteLength(line);
  });
  const warnIfDropped = (): boolean => {
    if (droppedLines === 0) return false;
    const warning = {
      level: 40,
      time: Date.now(),
      source: 'worker',
      dropped_lines: droppedLines,
      dropped_bytes: droppedBytes,
      msg: `stdout was not read for a while: ${droppedLines} log lines were dropped to keep memory bounded`,
    };
    droppedLines = 0;
    droppedBytes = 0;
    stream.write(`${JSON.stringify(warning)}\n`);
    return true;
  };
  // 'drain': everything buffered has been written, so the warning has room.
  stream.on('drain', warnIfDropped);
  // A process that ends before stdout drained still says what it dropped.
  process.once('exit', () => {
    if (warnIfDropped()) stream.flushSync();
  });
  return stream;
}

let processStdout: DestinationStream | undefined;

/** The process's stdout stream, made on first use: the default destination of every logger. */
export function stdoutStream(): DestinationStream {
  processStdout ??= createStdoutStream();
  return processStdout;
}
