/**
 * What the mock's request handlers share: options, the lifecycle, the counters /metrics
 * reports, held answers, and the event emitter tests listen on.
 */
import type { EventEmitter } from 'node:events';
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
};

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
