/**
 * `CASOLA_INSPECT=ws://host:port`: the Stately WebSocket inspector. Events are converted by
 * @statelyai/inspect's own inspector (`createInspector`), so a receiver sees exactly what
 * `createWebSocketInspector` would send: one JSON text frame per Stately inspection event.
 *
 * The transport is ours, not the library's WebSocketAdapter, because that adapter reports
 * nothing when the server cannot be reached and cannot be stopped while it waits to retry.
 * Here an unreachable server costs one warning; the worker carries on, events wait in a
 * bounded buffer, and the connection is retried until stop(). A server that stops reading costs
 * one warning too: events are dropped (and counted) while its backlog is past `limitBytes`, and
 * stop() waits at most a second for it to answer the close.
 */
import { createInspector } from '@statelyai/inspect';
import { WebSocket } from 'ws';
import type { Logger } from '../observability/logger.ts';
import { redactUrl } from '../observability/redact.ts';
import { closeWithin } from './close.ts';
import { toJsonText } from './serialize.ts';
import type { InspectionSink } from './types.ts';

export type WebSocketInspectorOptions = {
  /** The inspector's server, `ws://` or `wss://`. */
  url: string;
  logger: Logger;
  /** Wait between connection attempts, in ms. Default 5 000 (the library's). */
  retryMs?: number;
  /** Events kept while disconnected; the oldest go first. Default 200 (the library's). */
  maxDeferred?: number;
  /** Bytes waiting for the server past which events are dropped. Default 4 MiB. */
  limitBytes?: number;
};

/** Default bound on the bytes waiting for the inspector's server: 4 MiB. */
export const INSPECTOR_LIMIT_BYTES = 4 * 1024 * 1024;

export function attachWebSocketInspector(options: WebSocketInspectorOptions): InspectionSink {
  const { url, logger, retryMs = 5_000, maxDeferred = 200 } = options;
  const limitBytes = options.limitBytes ?? INSPECTOR_LIMIT_BYTES;
  // The URL may carry credentials (`ws://user:password@...`, `?token=`): logs get it without them.
  const shown = redactUrl(url);
  const deferred: string[] = [];
  let socket: WebSocket | undefined;
  let retry: NodeJS.Timeout | undefined;
  let warned = false;
  let stopped = false;
  /** Events dropped because the server did not read them. */
  let dropped = 0;

  /** Whether the server's backlog is past the bound: the event is dropped (the first time, said). */
  const backlogged = (ws: WebSocket): boolean => {
    if (ws.bufferedAmount <= limitBytes) return false;
    dropped += 1;
    if (dropped === 1) {
      logger.warn(
        { url: shown, waiting_bytes: ws.bufferedAmount, limit_bytes: limitBytes },
        `the Stately inspector at ${shown} is not reading: inspection events are dropped while ` +
          `more than ${limitBytes} bytes wait for it (how many is logged at shutdown)`,
      );
    }
    return true;
  };

  const connect = () => {
    const ws = new WebSocket(url);
    socket = ws;
    ws.on('open', () => {
      logger.info({ url: shown }, 'Stately inspector connected: inspection events go to it');
      for (const text of deferred.splice(0)) ws.send(text);
    });
    ws.on('error', (error) => {
      if (stopped || warned) return;
      warned = true;
      logger.warn(
        { url: shown, error: error.message },
        `the Stately inspector at ${shown} cannot be reached: the worker carries on without it ` +
          `and tries again every ${retryMs} ms (is its server running?)`,
      );
    });
    ws.on('close', () => {
      if (socket === ws) socket = undefined;
      if (!stopped) retry = setTimeout(connect, retryMs).unref();
    });
  };

  const inspector = createInspector({
    send: (event) => {
      if (socket?.readyState === WebSocket.OPEN) {
        if (!backlogged(socket)) socket.send(toJsonText(event));
      } else if (!stopped) {
        deferred.push(toJsonText(event));
        if (deferred.length > maxDeferred) deferred.shift();
      }
    },
  });
  connect();

  return {
    observe: (event) => inspector.inspect.next?.(event),
    stop: async () => {
      // The inspector converts each event on a zero-delay timer: let those queued so far run.
      await new Promise((resolve) => setTimeout(resolve, 0));
      stopped = true;
      clearTimeout(retry);
      if (dropped > 0) {
        logger.warn(
          { url: shown, dropped_events: dropped },
          `${dropped} inspection events were dropped because the Stately inspector did not read them`,
        );
      }
      if (socket !== undefined) await closeWithin(socket, 1000, 'worker stopped');
    },
  };
}
