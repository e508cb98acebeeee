/**
 * Where the queue connection must be after a walk's events, and what the queue, the parent and
 * the log must have seen: written from protocol.md and worker.md (register first on every
 * connection, then the standing pause or drain, then the results kept while offline; a result
 * counts as delivered once a pong after it came back; reconnect after a backoff of 1 s doubling
 * to 60 s; at shutdown, deliver what is held within the grace period, then close), not from
 * machines/connection.machine.ts or outbox.ts. The walk's model is the machine itself, so a
 * wrong target, a lost frame or a wrong count moves the model and the real connection together;
 * this does not move with them (issue 20).
 */
import { expect } from 'vitest';
import type { AnyEventObject } from 'xstate';
import { DEFAULTS } from '../../machines/defaults.ts';
import type { ExpectedLine } from './expect.ts';

export type ConnectionStage =
  | 'idle'
  | 'linked.opening'
  | 'linked.online.quiet'
  | 'linked.online.awaitingPong'
  | 'linked.closing'
  | 'backoff'
  | 'closed';

/** A frame as the queue's log shows it: its type, and the job it is about. */
export type Signature = string;

export type ConnectionPath = {
  stage: ConnectionStage;
  /** Registrations so far. */
  connections: number;
  /** The next reconnect's delay, before jitter. */
  backoffMs: number;
  /** Results kept for the next connection, oldest first. */
  outbox: Signature[];
  /** Results sent on this connection that no pong has confirmed. */
  unconfirmed: Signature[];
  /** How many of `unconfirmed` the ping in flight confirms. */
  pingMark: number;
  standing: 'pause' | 'drain' | undefined;
  shutdown: 'running' | 'delivering' | 'late';
  /** Results dropped from a full outbox. */
  dropped: number;
  /** The frames the queue must have read on each registration, in order. */
  frames: Signature[][];
  /** The pings the queue must have had on each registration. */
  pings: number[];
  /** What the parent heard, in order. */
  notices: AnyEventObject[];
  lines: ExpectedLine[];
};

const PING_INTERVAL = 'xstate.after.PING_INTERVAL.connection.linked.online.quiet';
const PONG_TIMEOUT = 'xstate.after.PONG_TIMEOUT.connection.linked.online.awaitingPong';
export const RECONNECT = 'xstate.after.RECONNECT_DELAY.connection.backoff';
const CLOSE_TIMEOUT = 'xstate.after.CLOSE_TIMEOUT.connection.linked.closing';

export const signature = (frame: { type: string; job_id?: string }): Signature =>
  frame.job_id === undefined ? frame.type : `${frame.type}:${frame.job_id}`;
const RESULTS = new Set(['job_result', 'job_result_ref', 'job_error']);
const CLOSED: ExpectedLine = {
  level: 'warn',
  message: /^the queue connection closed \(code \d+(: .+)?\); reconnecting after a backoff$/,
  fields: { code: expect.any(Number), reason: expect.any(String) },
};

/** The events the walks cause: any other is a walk this oracle was not written for. */
const KNOWN = new Set([
  'CONNECT',
  'SEND',
  'STOP',
  'GRACE_STARTED',
  'GRACE_ENDED',
  'SOCKET_OPENED',
  'SOCKET_CLOSED',
  'PONG',
  'FRAME_RECEIVED',
  'FRAME_REJECTED',
  PING_INTERVAL,
  PONG_TIMEOUT,
  RECONNECT,
  CLOSE_TIMEOUT,
]);

/** The connection's path after `events`, for a connection whose outbox keeps `outboxLimit`. */
export function expectedConnectionPath(
  events: readonly AnyEventObject[],
  outboxLimit: number,
): ConnectionPath {
  const p: ConnectionPath = {
    stage: 'idle',
    connections: 0,
    backoffMs: 1_000,
    outbox: [],
    unconfirmed: [],
    pingMark: 0,
    standing: undefined,
    shutdown: 'running',
    dropped: 0,
    frames: [],
    pings: [],
    notices: [],
    lines: [],
  };
  const online = () => p.stage.startsWith('linked.online');
  /** The outbox holds `frames` but for the oldest beyond its limit, each dropped with a line. */
  const keep = (frames: Signature[]) => {
    const overflow = Math.max(0, frames.length - outboxLimit);
    for (const frame of frames.slice(0, overflow)) {
      p.dropped += 1;
      p.lines.push({
        level: 'warn',
        message: `outbox full: dropped the oldest of ${outboxLimit} results kept while offline`,
        fields: { job_id: frame.split(':')[1], dropped_total: p.dropped },
      });
    }
    p.outbox = frames.slice(overflow);
  };
  const leave = (to: ConnectionStage) => {
    if (online() && !to.startsWith('linked.online')) p.notices.push({ type: 'QUEUE_DISCONNECTED' });
    p.stage = to;
    if (to === 'closed') {
      for (const frame of [...p.unconfirmed, ...p.outbox]) {
        const [type, jobId] = frame.split(':');
        p.lines.push({
          level: 'error',
          message: `the ${type} of job ${jobId} was not delivered: the queue did not confirm it before the connection closed`,
          fields: { job_id: jobId, frame_type: type },
        });
      }
      const undelivered = p.unconfirmed.length + p.outbox.length + p.dropped;
      p.notices.push({ type: 'CONNECTION_CLOSED', undelivered });
    }
  };
  /** The link is gone: what no pong confirmed goes first in the outbox, for the next register. */
  const lost = (line: ExpectedLine) => {
    keep([...p.unconfirmed, ...p.outbox]);
    p.unconfirmed = [];
    p.pingMark = 0;
    p.lines.push(line);
    leave('backoff');
  };
  /** A ping goes out: its pong will confirm what was sent so far. */
  const ping = () => {
    p.stage = 'linked.online.awaitingPong';
    p.pingMark = p.unconfirmed.length;
    p.pings[p.pings.length - 1]! += 1;
  };
  /** Online with nothing unconfirmed: ping at once if something awaits a pong, close if asked. */
  const settle = () => {
    if (p.unconfirmed.length > 0) ping();
    else if (p.shutdown === 'delivering') leave('linked.closing');
    else p.stage = 'linked.online.quiet';
  };
  /** STOP or the end of the grace period, where the link ends in `end`. */
  const stopping = (event: AnyEventObject, end: ConnectionStage) => {
    const held = p.outbox.length + p.unconfirmed.length;
    if (event.type === 'STOP') {
      if (p.shutdown === 'late' || held === 0) leave(end);
      else p.shutdown = 'delivering';
    } else {
      const delivering = p.shutdown === 'delivering';
      p.shutdown = 'late';
      if (delivering) leave(end);
    }
  };

  for (const event of events) {
    const { type } = event;
    if (!KNOWN.has(type)) throw new Error(`the connection oracle does not know ${type}`);
    if (type === 'FRAME_RECEIVED') {
      p.notices.push({ type: 'QUEUE_FRAME', frame: event.frame });
    } else if (type === 'FRAME_REJECTED') {
      p.notices.push({ type: 'QUEUE_FRAME_REJECTED', rejection: event.rejection });
    } else if (type === 'GRACE_STARTED') {
      // Only its timer's end matters, and the walk makes that a GRACE_ENDED.
    } else if (type === 'SEND') {
      const frame = signature(event.frame);
      const result = RESULTS.has(event.frame.type);
      if (online()) {
        p.frames.at(-1)!.push(frame);
        if (result) p.unconfirmed.push(frame);
        else p.standing = standingAfter(p.standing, event.frame.type);
        if (p.stage === 'linked.online.quiet') settle();
      } else if (result) keep([...p.outbox, frame]);
      else p.standing = standingAfter(p.standing, event.frame.type);
    } else if (p.stage === 'idle') {
      // Nothing was sent before the first connection: nothing to wait for.
      if (type === 'CONNECT') p.stage = 'linked.opening';
      else if (type === 'STOP') leave('closed');
      else if (type === 'GRACE_ENDED') p.shutdown = 'late';
    } else if (p.stage === 'linked.opening') {
      if (type === 'SOCKET_OPENED') {
        p.connections += 1;
        p.frames.push(['register', ...(p.standing ? [p.standing] : []), ...p.outbox]);
        p.pings.push(0);
        p.unconfirmed = p.outbox;
        p.outbox = [];
        p.backoffMs = 1_000;
        p.notices.push({ type: 'QUEUE_CONNECTED', connections: p.connections });
        settle();
      } else if (type === 'SOCKET_CLOSED') lost(CLOSED);
      else if (type === 'STOP' || type === 'GRACE_ENDED') stopping(event, 'closed');
    } else if (online()) {
      if (type === 'SOCKET_CLOSED') lost(CLOSED);
      // Online, the outbox is empty and `quiet` holds nothing unconfirmed: a STOP closes at once
      // there, or waits in `awaitingPong` for the pong that confirms the rest.
      else if (type === 'STOP' || type === 'GRACE_ENDED') stopping(event, 'linked.closing');
      else if (type === PING_INTERVAL && p.stage === 'linked.online.quiet') ping();
      else if (type === 'PONG' && p.stage === 'linked.online.awaitingPong') {
        p.unconfirmed = p.unconfirmed.slice(p.pingMark);
        p.pingMark = 0;
        settle();
      } else if (type === PONG_TIMEOUT && p.stage === 'linked.online.awaitingPong') {
        lost({ level: 'warn', message: 'no pong from the queue: reconnecting' });
      }
    } else if (p.stage === 'linked.closing') {
      // The queue's answer to the close frame comes after everything sent before it.
      if (type === 'SOCKET_CLOSED') {
        if (event.code !== 1006) p.unconfirmed = [];
        leave('closed');
      } else if (type === CLOSE_TIMEOUT) leave('closed');
      else if (type === 'GRACE_ENDED') p.shutdown = 'late';
    } else if (p.stage === 'backoff') {
      if (type === RECONNECT) {
        p.stage = 'linked.opening';
        p.backoffMs = Math.min(p.backoffMs * 2, 60_000);
      } else if (type === 'STOP' || type === 'GRACE_ENDED') stopping(event, 'closed');
    }
  }
  return p;
}

/** Drain is for good; pause holds until a resume. */
function standingAfter(standing: ConnectionPath['standing'], type: string) {
  if (type === 'drain' || standing === 'drain') return 'drain';
  if (type === 'pause') return 'pause';
  return type === 'resume' ? undefined : standing;
}

/**
 * Whether a timer is the reconnect's after a backoff of `backoffMs`: the backoff plus 0–30 %
 * jitter (worker.md). The grace period's timer (no jitter) is never it.
 */
export const isReconnectDelay = (backoffMs: number) => (delay: number) =>
  delay >= backoffMs && delay <= backoffMs * 1.3 && delay !== DEFAULTS.gracePeriodMs;
