/**
 * `CASOLA_INSPECT=ws://host:port`: the Stately WebSocket inspector. Events are converted by
 * @statelyai/inspect's own inspector (`createInspector`), so a receiver sees exactly what
 * `createWebSocketInspector` would send: one JSON text frame per Stately inspection event.
 *
 * The transport is ours, not the library's WebSocketAdapter, because that adapter reports
 * nothing when the server cannot be reached and cannot be stopped while it waits to retry.
 * Here an unreachable server costs one warning; the worker carries on, events wait in a
 * bounded buffer, and the connection is retried until stop().
 */
import { createInspector } from '@statelyai/inspect';
import { WebSocket } from 'ws';
import type { Logger } from '../observability/logger.ts';
import { redactUrl } from '../observability/redact.ts';
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
};

export function attachWebSocketInspector(options: WebSocketInspectorOptions): InspectionSink {
  const { url, logger, retryMs = 5_000, maxDeferred = 200 } = options;
  // The URL may carry credentials (`ws://user:password@...`, `?token=`): logs get it without them.
  const shown = redactUrl(url);
  const deferred: string[] = [];
  let socket: WebSocket | undefined;
  let retry: NodeJS.Timeout | undefined;
  let warned = false;
  let stopped = false;

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
      const text = toJsonText(event);
      if (socket?.readyState === WebSocket.OPEN) socket.send(text);
      else if (!stopped) {
        deferred.push(text);
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
      const ws = socket;
      if (ws === undefined) return;
      await new Promise<void>((resolve) => {
        ws.once('close', () => resolve());
        if (ws.readyState === WebSocket.OPEN) ws.close(1000, 'worker stopped');
        else ws.terminate();
      });
    },
  };
}
