/**
 * Log shipping: entries are buffered and POSTed in batches to `CASOLA_LOGS_URL`. The buffer
 * is bounded (the oldest entries go first, and how many went is reported in the next batch),
 * a batch that fails goes back to the front, and nothing here ever throws: losing logs
 * must never take the worker down.
 */
import { postJson } from '../http/post-json.ts';
import { FLUSH_DEADLINE_MS, withinDeadline } from './deadline.ts';
import type { Logger } from './logger.ts';
import { redactUrl } from './redact.ts';

/** Shipped level names (the platform's: pino's `warn` is `warning`). */
export type LogLevel = 'error' | 'warning' | 'info' | 'debug';

/** One shipped entry, as the logs endpoint expects it. */
export type LogEntry = {
  /** Unix time in seconds, with a fraction. */
  timestamp: number;
  level: LogLevel;
  /** Who wrote the line: the worker itself, or vLLM's output. */
  source: 'worker' | 'vllm';
  message: string;
  job_id?: string;
  config_id?: string;
};

export type LogShipperOptions = {
  /** The logs endpoint. Shipping is off unless this and `token` are set. */
  url?: string | undefined;
  /** Bearer token. Shipping is off unless this and `url` are set. */
  token?: string | undefined;
  instanceId: string;
  queueId: string;
  /** Interval between flushes once started, in milliseconds. */
  flushIntervalMs: number;
  /** Shipping failures are logged here. Give it a logger that does not ship (stdout). */
  logger: Logger;
  /** Most entries buffered; beyond it the oldest are dropped. Default 10 000 entries. */
  maxEntries?: number;
  /**
   * Most bytes of messages buffered (a vLLM line may be 64 KiB); beyond it the oldest entries
   * are dropped. Default 16 MiB.
   */
  maxBytes?: number;
  /** Most entries per POST. Default 1 000 entries. */
  batchSize?: number;
  /** Most bytes of messages per POST, below common request limits (nginx: 1 MiB). Default 512 KiB. */
  batchBytes?: number;
  /** Give up on one POST after this many milliseconds. Default 10 000 ms. */
  timeoutMs?: number;
  /**
   * How long the last flush at stop() may take, all batches together; what is left then is
   * dropped and counted. Default 10 000 ms.
   */
  stopDeadlineMs?: number;
};

export type LogShipperStats = {
  /** Entries waiting to be shipped. */
  buffered: number;
  /** Entries accepted by the logs endpoint, drop notices included. */
  shipped: number;
  /** Entries dropped because the buffer was full or the endpoint refused them for good. */
  dropped: number;
};

export type LogShipper = {
  /** Whether anything is shipped (URL and token both set); when not, `push` ignores entries. */
  readonly enabled: boolean;
  push(entry: LogEntry): void;
  /**
   * Ships everything buffered, batch by batch; stops at the first failed batch. Resolves
   * false when a batch failed, true otherwise (also when shipping is off). Never rejects.
   */
  flush(): Promise<boolean>;
  /** Flushes every `flushIntervalMs` (an unref'd timer: it keeps no process alive). */
  start(): void;
  /**
   * Stops the timer, then flushes what is left; resolves as `flush` does, or false at
   * `stopDeadlineMs`, when what is still buffered is dropped (logged with the count). Entries
   * pushed after stop() are ignored: nothing would ship them.
   */
  stop(): Promise<boolean>;
  stats(): LogShipperStats;
};

export function createLogShipper(options: LogShipperOptions): LogShipper {
  const { url, token, logger, maxEntries = 10_000, batchSize = 1_000 } = options;
  const { maxBytes = 16 * 1024 * 1024, batchBytes = 512 * 1024 } = options;
  const timeoutMs = options.timeoutMs ?? 10_000;
  const stopDeadlineMs = options.stopDeadlineMs ?? FLUSH_DEADLINE_MS;
  /**
   * `stopping` once stop() is called: no new entries; `expired` once its deadline has passed:
   * what is left, a batch still under way included, is dropped.
   */
  let phase: 'shipping' | 'stopping' | 'expired' = 'shipping';
  const buffer: LogEntry[] = [];
  /** The size of the buffered entries, as sizeOf counts it. */
  let bufferedBytes = 0;
  const counts = { shipped: 0, dropped: 0 };
  /** Dropped entries no shipped batch has reported yet. */
  let unreported = 0;
  let timer: NodeJS.Timeout | undefined;
  /** The latest flush; a new one runs after it, so batches never overtake each other. */
  let last: Promise<boolean> = Promise.resolve(true);
  /** A flush that has not started yet: it will ship whatever is buffered when it does. */
  let next: Promise<boolean> | undefined;

  function trim(): void {
    let excess = 0;
    while (
      excess < buffer.length &&
      (buffer.length - excess > maxEntries || bufferedBytes > maxBytes)
    ) {
      bufferedBytes -= sizeOf(buffer[excess]!);
      excess += 1;
    }
    if (excess === 0) return;
    buffer.splice(0, excess);
    counts.dropped += excess;
    unreported += excess;
  }

  /** Takes the next batch off the front: at most `count` entries and `batchBytes` (one at least). */
  function takeBatch(count: number): LogEntry[] {
    let taken = 0;
    let bytes = 0;
    while (taken < Math.min(count, buffer.length)) {
      const size = sizeOf(buffer[taken]!);
      if (taken > 0 && bytes + size > batchBytes) break;
      bytes += size;
      taken += 1;
    }
    bufferedBytes -= bytes;
    return buffer.splice(0, taken);
  }

  /**
   * POSTs one batch; false when it failed and its entries went back to the front. A batch the
   * endpoint refuses for good (4xx other than 408 and 429) is dropped and counted, or it would
   * come back first on every flush and hold every later entry back.
   */
  async function shipBatch(target: string, bearer: string): Promise<boolean> {
    const reported = unreported;
    const entries = takeBatch(reported > 0 ? batchSize - 1 : batchSize);
    const batch = reported > 0 ? [dropNotice(reported), ...entries] : entries;
    const body = { instance_id: options.instanceId, queue_id: options.queueId, entries: batch };
    const result = await postJson({ url: target, token: bearer, body, timeoutMs });
    if (result.ok) {
      counts.shipped += batch.length;
      unreported -= reported;
      return true;
    }
    const fields = {
      url: redactUrl(target),
      status: result.status,
      reason: result.reason,
      entries: batch.length,
    };
    if (refusedForGood(result.status)) {
      counts.dropped += entries.length;
      unreported += entries.length;
      logger.warn(
        fields,
        `log batch refused (${result.reason}): its ${entries.length} entries are dropped`,
      );
      return true;
    }
    logger.warn(fields, `log batch not shipped: ${result.reason}`);
    if (phase === 'expired') {
      counts.dropped += entries.length;
      return false;
    }
    buffer.unshift(...entries);
    for (const entry of entries) bufferedBytes += sizeOf(entry);
    trim();
    return false;
  }

  async function shipAll(target: string, bearer: string): Promise<boolean> {
    // Bounded: entries pushed while shipping wait for the next flush (at most as many batches
    // as entries, and a batch takes one at least).
    const batches = buffer.length + 1;
    for (let i = 0; i < batches && (buffer.length > 0 || unreported > 0); i++) {
      if (!(await shipBatch(target, bearer))) return false;
    }
    return true;
  }

  function flush(): Promise<boolean> {
    if (!url || !token) return Promise.resolve(true);
    if (next !== undefined) return next;
    const run = last.then(() => {
      next = undefined;
      return shipAll(url, token);
    });
    next = run;
    last = run;
    return run;
  }

  return {
    enabled: Boolean(url && token),
    push(entry) {
      if (!url || !token || phase !== 'shipping') return;
      buffer.push(entry);
      bufferedBytes += sizeOf(entry);
      trim();
    },
    flush,
    start() {
      if (!url || !token || timer !== undefined) return;
      timer = setInterval(() => void flush(), options.flushIntervalMs);
      timer.unref();
    },
    stop() {
      clearInterval(timer);
      timer = undefined;
      phase = 'stopping';
      return withinDeadline(flush(), stopDeadlineMs, () => {
        phase = 'expired';
        const left = buffer.length;
        buffer.length = 0;
        bufferedBytes = 0;
        counts.dropped += left;
        logger.warn(
          { url: redactUrl(url ?? ''), dropped: left, deadline_ms: stopDeadlineMs },
          `the log flush at shutdown ran out of time (${stopDeadlineMs} ms): ${left} entries still buffered are dropped`,
        );
        return false;
      });
    },
    stats: () => ({ buffered: buffer.length, ...counts }),
  };
}

/** An entry's weight for the byte bounds: its message in UTF-8, plus a little for the rest. */
function sizeOf(entry: LogEntry): number {
  return Buffer.byteLength(entry.message) + 100;
}

/** A status the same batch would get again: the request itself is refused. */
function refusedForGood(status: number | undefined): boolean {
  return status !== undefined && status >= 400 && status < 500 && status !== 408 && status !== 429;
}

function dropNotice(count: number): LogEntry {
  return {
    timestamp: Date.now() / 1000,
    level: 'warning',
    source: 'worker',
    message: `${count} log entries dropped (the buffer was full, or the endpoint refused them)`,
  };
}
