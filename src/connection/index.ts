/**
 * The connection actor: the connection machine with a real WebSocket.
 */
import { connectionMachine } from '../../machines/connection.machine.ts';
import { logAction } from '../observability/log-action.ts';
import type { Logger } from '../observability/logger.ts';
import { createSocketActor } from './socket.ts';

export type ConnectionTimings = {
  /** Keep-alive ping interval. Default 30 000 ms. */
  pingIntervalMs?: number;
  /** A missing pong after this long means the link is dead. Default 10 000 ms. */
  pongTimeoutMs?: number;
  /**
   * Reconnect delay for a given backoff (which starts at 1 s and doubles to 60 s).
   * Default: the backoff plus 0–30 % jitter.
   */
  reconnectDelayMs?: (backoffMs: number) => number;
  /**
   * Shutdown's grace period: how long it waits for running jobs, and for the queue to confirm
   * their results (reconnecting if it must). Default 5 000 ms.
   */
  gracePeriodMs?: number;
};

export type ConnectionOptions = {
  /** The queue endpoint, `.../ws`. */
  url: string;
  token: string | undefined;
  maxFrameBytes: number;
  logger: Logger;
  timings?: ConnectionTimings;
  /** Where job frames go straight from the socket (see SocketOptions.jobsTo). */
  jobsTo?: string;
};

export function createConnectionLogic(options: ConnectionOptions) {
  const { timings = {}, logger } = options;
  const reconnectDelay = timings.reconnectDelayMs;
  return connectionMachine.provide({
    actors: { socket: createSocketActor(options) },
    actions: { log: logAction(logger) },
    delays: {
      ...(timings.pingIntervalMs === undefined ? {} : { PING_INTERVAL: timings.pingIntervalMs }),
      ...(timings.pongTimeoutMs === undefined ? {} : { PONG_TIMEOUT: timings.pongTimeoutMs }),
      ...(timings.gracePeriodMs === undefined ? {} : { GRACE_PERIOD: timings.gracePeriodMs }),
      ...(reconnectDelay === undefined
        ? {}
        : { RECONNECT_DELAY: ({ context }) => reconnectDelay(context.backoffMs) }),
    },
  });
}
