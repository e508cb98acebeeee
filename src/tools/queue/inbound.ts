/**
 * One worker connection on /ws: every inbound frame is parsed with the protocol schemas and
 * logged; a frame that fails to parse is logged with its reason and answered with an
 * `error` frame. Nothing a worker sends closes the connection or crashes the queue.
 */
import type { IncomingMessage } from 'node:http';
import type { RawData, WebSocket } from 'ws';
import type { Logger } from '../../observability/logger.ts';
import { PREVIEW_CHARS, parseWorkerFrame, type WorkerFrame } from '../../protocol/index.ts';
import { handleOutcome, handleProgress, type OutcomeDeps } from './outcomes.ts';
import type { QueueConnection } from './workers.ts';

export type InboundDeps = OutcomeDeps & {
  pings: { answersPings(workerId: string | undefined): boolean };
  logger: Logger;
};

export function attachConnection(
  deps: InboundDeps,
  ws: WebSocket,
  request: IncomingMessage,
  id: number,
): QueueConnection {
  const connection: QueueConnection = { id, ws, headers: request.headers, workerId: undefined };
  const { events } = deps;
  events.record({
    kind: 'connection_opened',
    connectionId: id,
    workerId: undefined,
    headers: request.headers,
  });
  ws.on('message', (data, isBinary) => {
    try {
      onMessage(deps, connection, data, isBinary);
    } catch (error) {
      // A bug in the queue must not take every other worker's connection down with it.
      deps.logger.error({ err: error, connection_id: id }, 'the local queue failed on a frame');
    }
  });
  ws.on('ping', (data) => {
    const answered = deps.pings.answersPings(connection.workerId);
    if (answered) ws.pong(data);
    events.record({ kind: 'ping', connectionId: id, workerId: connection.workerId, answered });
  });
  ws.on('close', (code, reason) => {
    deps.workers.disconnect(connection);
    deps.logger.info({ worker_id: connection.workerId, code }, 'worker connection closed');
    events.record({
      kind: 'connection_closed',
      connectionId: id,
      workerId: connection.workerId,
      code,
      reason: reason.toString(),
    });
  });
  ws.on('error', (error) => {
    deps.logger.warn({ err: error, connection_id: id }, 'worker socket error');
  });
  return connection;
}

function onMessage(
  deps: InboundDeps,
  connection: QueueConnection,
  data: RawData,
  isBinary: boolean,
): void {
  const raw = toText(data);
  const parsed = isBinary
    ? ({
        ok: false,
        reason: 'binary',
        detail: 'binary frames are not part of the protocol',
      } as const)
    : parseWorkerFrame(raw);
  if (!parsed.ok) {
    refuse(deps, connection, raw, parsed.reason, parsed.detail);
    return;
  }
  deps.events.record({
    kind: 'frame_in',
    connectionId: connection.id,
    workerId: connection.workerId,
    frame: parsed.frame,
    raw,
  });
  route(deps, connection, parsed.frame);
}

function route(deps: InboundDeps, connection: QueueConnection, frame: WorkerFrame): void {
  switch (frame.type) {
    case 'register': {
      const record = deps.workers.register(connection, frame);
      deps.events.record({
        kind: 'worker_registered',
        connectionId: connection.id,
        workerId: record.id,
        configId: record.configId,
        capacity: record.registeredCapacity,
      });
      deps.logger.info(
        { worker_id: record.id, config_id: record.configId, capacity: record.registeredCapacity },
        'worker registered',
      );
      deps.scheduler.pump();
      return;
    }
    case 'job_result':
    case 'job_result_ref':
    case 'job_error':
      handleOutcome(deps, connection, frame);
      return;
    case 'job_progress':
      handleProgress(deps, connection, frame);
      return;
    default:
      setDispatch(deps, connection, frame.type);
  }
}

/** drain: capacity 0 until the worker registers again · pause / resume: stop and restart dispatch. */
function setDispatch(
  deps: InboundDeps,
  connection: QueueConnection,
  verb: 'drain' | 'pause' | 'resume',
): void {
  const record =
    connection.workerId === undefined ? undefined : deps.workers.get(connection.workerId);
  if (record === undefined) {
    deps.sender.send(connection, {
      type: 'error',
      message: `${verb} rejected: send register first`,
    });
    return;
  }
  if (verb === 'drain') record.dispatch = 'draining';
  else if (verb === 'pause' && record.dispatch === 'accepting') record.dispatch = 'paused';
  else if (verb === 'resume' && record.dispatch === 'paused') {
    record.dispatch = 'accepting';
    deps.scheduler.pump();
  }
}

function refuse(
  deps: InboundDeps,
  connection: QueueConnection,
  raw: string,
  reason: string,
  detail: string,
): void {
  deps.events.record({
    kind: 'frame_rejected',
    connectionId: connection.id,
    workerId: connection.workerId,
    reason,
    detail,
    raw,
  });
  deps.logger.warn({ reason, detail, preview: raw.slice(0, PREVIEW_CHARS) }, 'frame rejected');
  deps.sender.send(connection, { type: 'error', message: `frame rejected: ${detail}` });
}

function toText(data: RawData): string {
  if (Array.isArray(data)) return Buffer.concat(data).toString('utf8');
  return Buffer.isBuffer(data) ? data.toString('utf8') : Buffer.from(data).toString('utf8');
}
