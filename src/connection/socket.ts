/**
 * The `socket` actor of the connection machine: one WebSocket to the queue, from handshake to
 * close. It reports what happens as events and never throws into the machine.
 */

import type { Duplex } from 'node:stream';
import WebSocket from 'ws';
import { fromCallback } from 'xstate';
import { z } from 'zod';
import type { SocketCommand } from '../../machines/connection.machine.ts';
import type { OutboundFrame } from '../../machines/types.ts';
import { errorMessage } from '../errors.ts';
import { gateEventOf } from '../gate/frames.ts';
import type { Logger } from '../observability/logger.ts';
import { redactUrl } from '../observability/redact.ts';
import { encodeWorkerFrame } from '../protocol/encode.ts';
import type { QueueFrame } from '../protocol/frames.ts';
import {
  describeIssues,
  type FrameRejection,
  PREVIEW_CHARS,
  parseQueueFrame,
} from '../protocol/parse.ts';

export type SocketOptions = {
  /** The full endpoint, `.../ws`. */
  url: string;
  /** Sent as `Authorization: Bearer <token>` when set. Never logged. */
  token: string | undefined;
  /** Largest inbound frame accepted; larger ones close the socket (1009). Default 64 MiB. */
  maxFrameBytes: number;
  logger: Logger;
  /**
   * The system id of the actor that takes `job` frames (the worker's gate): they go to it
   * straight away as JOB_OFFERED, one event per job instead of three (socket → connection →
   * worker → gate). Unset, or not in the system: job frames go to the connection like any other.
   */
  jobsTo?: string;
};

/** What the socket tells the connection machine. */
type SocketReport =
  | { type: 'SOCKET_OPENED' }
  | { type: 'SOCKET_CLOSED'; code: number; reason: string }
  | { type: 'PONG' }
  | { type: 'FRAME_RECEIVED'; frame: QueueFrame }
  | { type: 'FRAME_REJECTED'; rejection: FrameRejection };

/**
 * Encodes a frame. A result that is not JSON becomes the job's error instead of vanishing; any
 * other frame that breaks the contract is a bug, logged and not sent (never a crash).
 */
function encode(frame: OutboundFrame, logger: Logger): string | undefined {
  try {
    return encodeWorkerFrame(frame);
  } catch (error) {
    const jobId = 'job_id' in frame ? frame.job_id : undefined;
    if (frame.type === 'job_result') {
      const why = error instanceof z.ZodError ? describeIssues(error) : errorMessage(error);
      const message = `the job's result could not be sent as JSON: ${why}`;
      logger.error({ job_id: jobId }, message);
      // A new frame: a copy of the result frame would carry the result that failed.
      return encodeWorkerFrame({
        type: 'job_error',
        job_id: frame.job_id,
        error: message,
        fence_token: frame.fence_token,
      });
    }
    logger.error(
      { job_id: jobId, frame_type: frame.type, error: String(error) },
      'invalid outbound frame dropped',
    );
    return undefined;
  }
}

/** What a socket error means for the operator, and what to change. */
function socketProblem(message: string, maxFrameBytes: number): string {
  if (/max payload size exceeded/i.test(message)) {
    return `a frame from the queue exceeded CASOLA_MAX_FRAME_BYTES (${maxFrameBytes} bytes): the socket is closed; raise the limit if such frames are expected`;
  }
  if (/wrong version number|EPROTO/i.test(message)) {
    return 'the queue did not answer TLS on this port (a wss:// URL to a plain ws:// server?): check the scheme and port of CASOLA_WS_URL';
  }
  const status = /Unexpected server response: (\d+)/.exec(message)?.[1];
  if (status === '401' || status === '403') {
    return `the queue refused the connection (HTTP ${status}): check CASOLA_API_TOKEN`;
  }
  if (status === '404') {
    return 'the queue has no WebSocket endpoint at this URL (HTTP 404): check CASOLA_WS_URL (the worker appends /ws)';
  }
  if (status !== undefined) {
    return `the queue answered HTTP ${status} instead of a WebSocket upgrade: check CASOLA_WS_URL, and the queue's health`;
  }
  return `queue socket error: ${message}`;
}

export function createSocketActor(options: SocketOptions) {
  const { url, token, maxFrameBytes, logger, jobsTo } = options;
  return fromCallback<SocketCommand>(({ sendBack, receive, system }) => {
    let active = true;
    const report = (event: SocketReport) => {
      if (active) sendBack(event);
    };
    const socket = new WebSocket(url, {
      headers: token ? { Authorization: `Bearer ${token}` } : {},
      maxPayload: maxFrameBytes,
      perMessageDeflate: false,
      handshakeTimeout: 10_000,
    });
    // Frames written in the same tick leave in one write: a result per job would otherwise
    // cost a syscall each. The upgrade response's socket is the connection's own.
    let stream: Duplex | undefined;
    let corked = false;
    const write = (text: string) => {
      if (stream !== undefined && !corked) {
        corked = true;
        stream.cork();
        process.nextTick(() => {
          corked = false;
          stream?.uncork();
        });
      }
      socket.send(text);
    };
    socket.on('upgrade', (response) => {
      stream = response.socket;
    });
    socket.on('open', () => report({ type: 'SOCKET_OPENED' }));
    socket.on('pong', () => report({ type: 'PONG' }));
    socket.on('message', (data, isBinary) => {
      const text = isBinary ? null : data.toString();
      if (text === null) {
        const preview = `<binary frame of ${(data as Buffer).length ?? 0} bytes>`;
        const detail = 'binary frame: the queue speaks JSON text frames';
        report({
          type: 'FRAME_REJECTED',
          rejection: { ok: false, reason: 'not_json', preview, detail },
        });
        return;
      }
      const parsed = parseQueueFrame(text);
      const gate = jobsTo === undefined ? undefined : system.get(jobsTo);
      const forGate = gate === undefined ? undefined : gateEventOf(parsed);
      if (forGate !== undefined) {
        if (active) gate!.send(forGate);
      } else if (!parsed.ok) report({ type: 'FRAME_REJECTED', rejection: parsed });
      else report({ type: 'FRAME_RECEIVED', frame: parsed.frame });
    });
    socket.on('error', (error) => {
      logger.warn(
        { url: redactUrl(url), error: error.message },
        socketProblem(error.message, maxFrameBytes),
      );
    });
    socket.on('close', (code, reason) => {
      report({ type: 'SOCKET_CLOSED', code, reason: reason.toString().slice(0, PREVIEW_CHARS) });
    });

    receive((command) => {
      if (command.type === 'TRANSMIT') {
        // A frame that cannot go out now is not lost: results stay unconfirmed in the
        // connection machine and go out again after the next register.
        if (socket.readyState !== WebSocket.OPEN) return;
        const text = encode(command.frame, logger);
        if (text !== undefined) write(text);
      } else if (command.type === 'PING') {
        if (socket.readyState === WebSocket.OPEN) socket.ping();
      } else if (command.type === 'CLOSE') {
        if (socket.readyState === WebSocket.OPEN) socket.close(1000, 'worker stopping');
        else socket.terminate();
      }
    });

    // Leaving the machine's `linked` state without a CLOSE means the link is dead or abandoned.
    return () => {
      active = false;
      socket.terminate();
    };
  });
}
