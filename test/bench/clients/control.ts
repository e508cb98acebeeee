/**
 * The child side of a bench client: answers the parent's memory questions over IPC and
 * tells it what happened (ready, a handler started, a signal fired). Every client (both floors,
 * the SDK, the full worker) uses it, so they are measured the same way.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { getEachMessage, sendMessage } from 'execa';
import WebSocket from 'ws';

/** What the parent asks of a client. */
export type ControlRequest =
  /**
   * Report memory, after collecting garbage first (node runs with --expose-gc): `full` is a
   * plain full GC; `reduce` is the memory-reducing one V8 runs under memory pressure, which
   * also gives back what V8 keeps for speed (young generation room, pooled pages).
   */
  | { type: 'memory'; gc: 'none' | 'full' | 'reduce' }
  /** Start the peak RSS (VmHWM) afresh from the current RSS. */
  | { type: 'reset_peak' }
  /** Exit normally (so that --cpu-prof writes its profile). */
  | { type: 'exit' }
  /** Ask the queue to stop (`pause`) or restart (`resume`) dispatching to this client. */
  | { type: 'pause' }
  | { type: 'resume' };

/** What a client reports, asked or not. */
export type ClientReport =
  | { type: 'ready' }
  | {
      type: 'memory';
      rssBytes: number;
      peakBytes: number;
      heapUsedBytes: number;
      /** V8's heap as reserved from the system (used or not). */
      heapTotalBytes: number;
      /** Memory outside V8's heap: Buffers and other native allocations it knows of. */
      externalBytes: number;
    }
  | { type: 'reset_peak' }
  /** A job's handler (or the floor's frame handler) started; `at` is epoch ms, high resolution. */
  | { type: 'started'; jobId: string; at: number }
  /** A job's abort signal fired (or the floor saw job_revoked). */
  | { type: 'aborted'; jobId: string; at: number };

/** Epoch milliseconds with sub-millisecond resolution, comparable across processes. */
export function preciseNow(): number {
  return performance.timeOrigin + performance.now();
}

export function report(message: ClientReport): void {
  void sendMessage(message);
}

/** The kernel's peak resident set size of this process (VmHWM), in bytes. */
function peakRss(): number {
  const match = /VmHWM:\s+(\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8'));
  return match === null ? 0 : Number(match[1]) * 1024;
}

/** What a client does when asked to pause or resume: it sends the frame itself. */
export type DispatchControl = { pause(): void; resume(): void };

/** Answers the parent until it goes away, then exits. */
export async function serveControl(dispatch: DispatchControl): Promise<void> {
  process.once('disconnect', () => process.exit(0));
  for await (const message of getEachMessage()) {
    const request = message as ControlRequest;
    if (request.type === 'memory') {
      if (request.gc === 'full') globalThis.gc?.();
      if (request.gc === 'reduce') {
        globalThis.gc?.({ type: 'major', execution: 'sync', flavor: 'last-resort' });
      }
      const { rss, heapUsed, heapTotal, external } = process.memoryUsage();
      report({
        type: 'memory',
        rssBytes: rss,
        peakBytes: peakRss(),
        heapUsedBytes: heapUsed,
        heapTotalBytes: heapTotal,
        externalBytes: external,
      });
    } else if (request.type === 'reset_peak') {
      // "5" resets the peak RSS to the current RSS (Linux, proc(5)).
      writeFileSync('/proc/self/clear_refs', '5');
      report({ type: 'reset_peak' });
    } else if (request.type === 'exit') {
      process.exit(0);
    } else {
      dispatch[request.type]();
    }
  }
}

/** `--name value` pairs from argv. */
export function argument(name: string): string {
  const index = process.argv.indexOf(`--${name}`);
  const value = index < 0 ? undefined : process.argv[index + 1];
  if (value === undefined) throw new Error(`missing --${name}`);
  return value;
}

/**
 * The floors' socket: a bare ws client on --url that registers with --worker-id, --config-id
 * and --capacity as soon as it opens, then reports ready.
 */
export function connectFloor(): WebSocket {
  const ws = new WebSocket(`${argument('url')}/ws`, {
    perMessageDeflate: false,
    maxPayload: 256 * 1024 * 1024,
  });
  ws.on('open', () => {
    const register = {
      type: 'register',
      worker_id: argument('worker-id'),
      config_id: argument('config-id'),
      capacity: Number(argument('capacity')),
    };
    ws.send(JSON.stringify(register));
    report({ type: 'ready' });
  });
  return ws;
}
