/**
 * The connection, walked against the real connection actor and the local queue (the driver:
 * connection.driver.ts). The model's environment is bounded: two results, pause, resume and
 * drain as the gate sends them, the worker's shutdown (grace period, STOP), at most two
 * registrations and two failed attempts.
 */
import type { AnyEventObject, AnyMachineSnapshot, EventObject } from 'xstate';
import { connectionMachine, INITIAL_BACKOFF_MS } from '../../machines/connection.machine.ts';
import type { OutboundFrame } from '../../machines/types.ts';
import { GARBAGE, PROBE } from './connection.checks.ts';
import { ConnectionDriver, INPUT } from './connection.driver.ts';
import { modelSuite } from './suite.ts';

const result = (id: string): OutboundFrame => ({
  type: 'job_result',
  job_id: id,
  result: { id },
  fence_token: 0,
});
const send = (frame: OutboundFrame) => ({ type: 'SEND', frame });
const after = (delay: string, state: string) => ({
  type: `xstate.after.${delay}.connection.${state}`,
});

const CONNECT = { type: 'CONNECT' };
const STOP = { type: 'STOP' };
const OPENED = { type: 'SOCKET_OPENED' };
const CLOSED = { type: 'SOCKET_CLOSED' };
/** The link died during the close: the queue never answered the close frame. */
const CUT = { type: 'SOCKET_CLOSED', code: 1006 };
const PONG = { type: 'PONG' };
const GRACE = { type: 'GRACE_STARTED' };
const GRACE_ENDED = { type: 'GRACE_ENDED' };
const PONG_TIMEOUT = after('PONG_TIMEOUT', 'linked.online.awaitingPong');
const RECONNECT = after('RECONNECT_DELAY', 'backoff');

const EVENTS = [
  CLOSED,
  CUT,
  send(result('a')),
  send(result('b')),
  send({ type: 'pause' }),
  send({ type: 'resume' }),
  send({ type: 'drain' }),
  { type: 'FRAME_RECEIVED', frame: PROBE },
  {
    type: 'FRAME_REJECTED',
    rejection: { ok: false, reason: 'not_json', preview: GARBAGE, detail: 'frame is not JSON' },
  },
];

/** What the queue (and a worker as parent) can make happen in a state, within small bounds. */
function canCause(snapshot: AnyMachineSnapshot, event: EventObject): boolean {
  const c = snapshot.context;
  if (snapshot.status !== 'active') return false;
  if (event.type === 'GRACE_STARTED' || event.type === 'GRACE_ENDED') {
    return c.shutdown !== 'late';
  }
  if (snapshot.matches('idle')) return event.type === 'CONNECT' || event.type === 'STOP';
  // Only the close can end without the queue's answer; elsewhere a close is a close.
  if ((event as AnyEventObject).code === 1006) return snapshot.matches({ linked: 'closing' });
  if (snapshot.matches({ linked: 'opening' })) {
    // A queue that requires a token refuses every attempt; one that does not accepts them.
    if (event.type === 'SOCKET_CLOSED') return c.connections === 0;
    if (event.type === 'SOCKET_OPENED')
      return c.connections > 0 || c.backoffMs === INITIAL_BACKOFF_MS;
    // The proxy holds the handshake: the worker may stop, or a job end, meanwhile.
    if (event.type !== 'STOP' && event.type !== 'SEND') return false;
  }
  if (event.type === 'FRAME_RECEIVED' || event.type === 'FRAME_REJECTED') {
    return snapshot.matches({ linked: 'online' });
  }
  // The worker sends STOP once: within the grace period, or after it.
  if (event.type === 'STOP') {
    return c.shutdown !== 'delivering' && !snapshot.matches({ linked: 'closing' });
  }
  if (event.type === RECONNECT.type) {
    return c.connections < 2 && c.backoffMs < 4 * INITIAL_BACKOFF_MS;
  }
  if (event.type === 'SEND') {
    const offline = !snapshot.matches({ linked: 'online' });
    return canSend(c, (event as AnyEventObject).frame as OutboundFrame, offline);
  }
  return true;
}

/**
 * Results come from jobs (so after a registration), once each; the gate's dispatch frames in
 * turn, and a late resume after a drain while offline (drain is for good: it must not undo it).
 */
function canSend(
  c: AnyMachineSnapshot['context'],
  frame: OutboundFrame,
  offline: boolean,
): boolean {
  if (frame.type === 'job_result') {
    const held = [...c.outbox, ...c.unconfirmed] as OutboundFrame[];
    // One overflow of the outbox is enough to see it; more would only grow the drop count.
    if (c.outboxDropped > 0) return false;
    return c.connections > 0 && !held.some((f) => 'job_id' in f && f.job_id === frame.job_id);
  }
  if (frame.type === 'pause') return c.standing === undefined;
  if (frame.type === 'resume') return c.standing === 'pause' || (offline && c.standing === 'drain');
  return c.standing !== 'drain';
}

modelSuite({
  longWalks: true,
  // The queue answers each result for a job it never dispatched with an error frame.
  incidental: (event) =>
    event.type === 'FRAME_RECEIVED' && (event as AnyEventObject).frame.type === 'error',
  machine: connectionMachine,
  input: INPUT,
  events: EVENTS,
  filterEvents: canCause,
  driver: () => new ConnectionDriver(),
  scenarios: [
    // An unclean close: the unconfirmed result and the pause go out again after register.
    [CONNECT, OPENED, send(result('a')), send({ type: 'pause' }), CLOSED, RECONNECT, OPENED],
    // A confirmed result is not sent again; the next one is confirmed by the next pong.
    [CONNECT, OPENED, send(result('a')), PONG, send(result('b')), CLOSED, RECONNECT, OPENED],
    // Drain survives a reconnect; a result produced offline follows it and is confirmed before
    // the close.
    [
      CONNECT,
      OPENED,
      send({ type: 'drain' }),
      CLOSED,
      send(result('a')),
      RECONNECT,
      OPENED,
      STOP,
      PONG,
      CLOSED,
    ],
    // A resume after the drain, while offline, does not undo it: drain again after register.
    [
      CONNECT,
      OPENED,
      send({ type: 'drain' }),
      CLOSED,
      send({ type: 'resume' }),
      RECONNECT,
      OPENED,
      send(result('a')),
    ],
    // Shutdown with the queue away: it reconnects, registers, flushes, and closes once confirmed.
    [CONNECT, OPENED, send(result('a')), CLOSED, GRACE, STOP, RECONNECT, OPENED, PONG, CLOSED],
    // The grace period ends first: the result is reported undelivered.
    [CONNECT, OPENED, send(result('a')), CLOSED, GRACE, STOP, GRACE_ENDED],
    // The link drops with two results unconfirmed and room for one: the older is dropped, and
    // logged as dropped.
    [CONNECT, OPENED, send(result('a')), send(result('b')), CLOSED, STOP],
    // Stopped after the grace period ended: closed at once, the result reported undelivered.
    [CONNECT, OPENED, send(result('a')), CLOSED, GRACE, GRACE_ENDED, STOP],
    // Offline with the outbox full: a pause changes the standing and drops no result.
    [CONNECT, OPENED, CLOSED, send(result('a')), send({ type: 'pause' }), send(result('b'))],
    // No pong: the result waits for the next connection.
    [CONNECT, OPENED, send(result('a')), PONG_TIMEOUT, STOP],
    // Refused twice: the backoff doubles.
    [CONNECT, CLOSED, RECONNECT, CLOSED, STOP],
  ],
});
