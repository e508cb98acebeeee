/**
 * What the mock's request handlers share: options, the lifecycle, the counters /metrics
 * reports, held answers, and the event emitter tests listen on.
 */
import type { EventEmitter } from 'node:events';
import type { VideoJob } from './endpoints/videos.ts';
import type { Lifecycle } from './lifecycle.ts';
import type { ResolvedOptions } from './options.ts';
import type { MockReply } from './replies.ts';
import type { MockRequest } from './request.ts';
import type { VllmLog } from './vllm-log.ts';

export type MockVllmEvents = {
  /** A request arrived and its body was read (every route, /health and /metrics too). */
  request: [request: MockRequest];
  /** The client closed the connection before the answer was sent. */
  aborted: [request: MockRequest];
  /** The mock "exited" (a failure option); the CLI exits the process with this code. */
  exit: [code: number];
};

export type MockState = {
  options: ResolvedOptions;
  log: VllmLog;
  lifecycle: Lifecycle;
  events: EventEmitter<MockVllmEvents>;
  /** Requests received so far over every route (ids). */
  received: number;
  /** Inference requests received so far (what `crashOnRequest` counts). */
  inferences: number;
  /** Inference requests not yet answered nor aborted. */
  running: number;
  /** Inference requests answered with a 2xx. */
  succeeded: number;
  /** Reported as vllm:num_requests_waiting: the mock runs every request at once, so only this waits. */
  queueDepth: number;
  /** The fixed answers by path, in `instant` mode. */
  instantReplies: Record<string, MockReply> | undefined;
  /** Answers waiting out `responseDelayMs`: calling one sends its answer now. */
  held: Set<() => void>;
  /** The latest requests closed by their client before the answer, oldest first (GET /mock/aborted). */
  aborted: AbortedRequest[];
  /** vLLM-Omni video jobs by id, until deleted (`--omni`). */
  videos: Map<string, VideoJob>;
};

/** A request its client closed before the answer. */
export type AbortedRequest = {
  id: number;
  method: string;
  path: string;
  /**
   * When the mock saw the connection close: epoch ms with sub-millisecond resolution
   * (performance.timeOrigin + performance.now()), comparable across processes on one host.
   */
  closedAtMs: number;
};

/** How many aborted requests GET /mock/aborted keeps: a long run must not grow the mock. */
export const ABORTED_KEPT = 1_000;

/** Notes `request` as closed by its client now, forgetting the oldest beyond ABORTED_KEPT. */
export function recordAborted(state: MockState, request: MockRequest): void {
  const { id, method, path } = request;
  state.aborted.push({ id, method, path, closedAtMs: performance.timeOrigin + performance.now() });
  if (state.aborted.length > ABORTED_KEPT) state.aborted.shift();
}

/** Waits `ms`, or less when released or when `closed` aborts. */
export function hold(state: MockState, ms: number, closed: AbortSignal): Promise<void> {
  if (ms <= 0 || closed.aborted) return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      state.held.delete(done);
      closed.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    state.held.add(done);
    closed.addEventListener('abort', done, { once: true });
  });
}

/** Sends every held answer now; returns how many there were. */
export function releaseHeld(state: MockState): number {
  const held = [...state.held];
  for (const release of held) release();
  return held.length;
}
