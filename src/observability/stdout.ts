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
 *
 * At exit what waits is written synchronously (pino's exit hook), which against a stdout nobody
 * reads would retry for ever and the process would never end. That last flush gives up after
 * `exitFlushMs`: what it could not write is lost, and the process exits.
 */
import { type DestinationStream, pino } from 'pino';

/** Default bound on log output waiting for stdout: 16 MiB. */
export const STDOUT_LIMIT_BYTES = 16 * 1024 * 1024;

/** Default time the flush at exit keeps trying a stdout that takes nothing: 2 000 ms. */
export const EXIT_FLUSH_MS = 2_000;

export type StdoutOptions = {
  /** File descriptor written. Default 1 (stdout). */
  fd?: number;
  /** Most bytes of log lines held while the descriptor is not being read. Default 16 MiB. */
  limitBytes?: number;
  /** How long the flush at exit keeps trying a descriptor that takes nothing, in ms. Default 2 000 ms. */
  exitFlushMs?: number;
};

export function createStdoutStream(options: StdoutOptions = {}): DestinationStream {
  const exitFlushMs = options.exitFlushMs ?? EXIT_FLUSH_MS;
  const fd = options.fd ?? 1;
  // A pipe is inherited blocking, and a blocked write cannot be given up. Node's own stdout
  // stream, made on first use, switches a pipe to non-blocking: writes that would block fail
  // (EAGAIN), and are retried or given up as below.
  if (fd === 1) void process.stdout;
  /** Until exit, a write stdout refuses (EAGAIN) is retried; at exit, until the deadline. */
  let giveUpAt = Number.POSITIVE_INFINITY;
  /** `refused`: the chunk being written was refused and waits for a retry (not in flight). */
  let chunk: 'moving' | 'refused' = 'moving';
  const stream = pino.destination({
    dest: fd,
    minLength: 0,
    sync: false,
    maxLength: options.limitBytes ?? STDOUT_LIMIT_BYTES,
    retryEAGAIN: () => {
      chunk = 'refused';
      return Date.now() < giveUpAt;
    },
  });
  stream.on('write', () => {
    chunk = 'moving';
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
  // Before pino's own exit hook: a process that ends before stdout drained still says what it
  // dropped, and a stdout that takes nothing gets `exitFlushMs` to take it. Past that the
  // stream is destroyed, which pino's hook then skips, so the process exits.
  process.prependOnceListener('exit', () => {
    giveUpAt = Date.now() + exitFlushMs;
    try {
      if (chunk === 'refused') takeBackRefused(stream);
      // What waits first, so that the warning has room in the buffer.
      stream.flushSync();
      if (warnIfDropped()) stream.flushSync();
    } catch {
      stream.destroy();
    }
  });
  return stream;
}

/** What sonic-boom (4.x) keeps of the chunk it is writing. */
type WritingChunk = {
  _writing: boolean;
  _writingBuf: string | Buffer;
  _bufs: Array<string | Buffer>;
};

/**
 * A chunk stdout refused (EAGAIN) waits, marked as being written, for a timer to retry it, and
 * flushSync leaves such a chunk alone; at exit no timer runs, so it goes back in front of what
 * flushSync writes (as flushSync itself does with a chunk not being written). Only a refused
 * one: a chunk whose write is in flight would be written twice.
 */
function takeBackRefused(stream: object): void {
  const chunk = stream as WritingChunk;
  if (!chunk._writing || chunk._writingBuf.length === 0) return;
  chunk._bufs.unshift(chunk._writingBuf);
  chunk._writingBuf = '';
  chunk._writing = false;
}

let processStdout: DestinationStream | undefined;

/** The process's stdout stream, made on first use: the default destination of every logger. */
export function stdoutStream(): DestinationStream {
  processStdout ??= createStdoutStream();
  return processStdout;
}
