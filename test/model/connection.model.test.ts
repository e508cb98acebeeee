/**
 * The connection, walked against the real connection actor and the local queue (the driver:
 * connection.driver.ts). The model's environment is bounded: two results, pause, resume and
 * drain as the gate sends them, at most two registrations and two failed attempts.
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
const PONG = { type: 'PONG' };
const CONFIRM = after('CONFIRM_DELAY', 'linked.online.confirming');
const PONG_TIMEOUT = after('PONG_TIMEOUT', 'linked.online.awaitingPong');
const RECONNECT = after('RECONNECT_DELAY', 'backoff');

const EVENTS = [
  send(result('a')),
  send(result('b')),
  send({ type: 'pause' }),
  send({ type: 'resume' }),
  send({ type: 'drain' }),
  { type: 'FRAME_RECEIVED', frame: PROBE },
  {
    type: 'FRAME_REJECTED',
    rejection: { ok: false, reason: 'not_json', preview: GARBAGE, detail: 'not JSON' },
  },
];

/** What the queue (and a worker as parent) can make happen in a state, within small bounds. */
function canCause(snapshot: AnyMachineSnapshot, event: EventObject): boolean {
  const c = snapshot.context;
  if (snapshot.status !== 'active') return false;
  if (snapshot.matches('idle')) return event.type === 'CONNECT' || event.type === 'STOP';
  if (snapshot.matches({ linked: 'opening' })) {
    // A queue that requires a token refuses every attempt; one that does not accepts them.
    // A full outbox would ping at once on register, before the queue could be stalled.
    if (event.type === 'SOCKET_CLOSED') return c.connections === 0;
    return (
      event.type === 'SOCKET_OPENED' &&
      (c.connections > 0 || c.backoffMs === INITIAL_BACKOFF_MS) &&
      c.outbox.length < c.confirmBatch
    );
  }
  if (event.type === 'FRAME_RECEIVED' || event.type === 'FRAME_REJECTED') {
    return snapshot.matches({ linked: 'online' });
  }
  if (event.type === 'STOP') return !snapshot.matches({ linked: 'closing' });
  if (event.type === RECONNECT.type) {
    return c.connections < 2 && c.backoffMs < 4 * INITIAL_BACKOFF_MS;
  }
  if (event.type === 'SEND') return canSend(c, (event as AnyEventObject).frame as OutboundFrame);
  return true;
}

/** Results come from jobs (so after a registration), once each; the gate's dispatch frames in turn. */
function canSend(c: AnyMachineSnapshot['context'], frame: OutboundFrame): boolean {
  if (frame.type === 'job_result') {
    const held = [...c.outbox, ...c.unconfirmed] as OutboundFrame[];
    // One overflow of the outbox is enough to see it; more would only grow the drop count.
    if (c.outboxDropped > 0) return false;
    return c.connections > 0 && !held.some((f) => 'job_id' in f && f.job_id === frame.job_id);
  }
  if (frame.type === 'pause') return c.standing === undefined;
  if (frame.type === 'resume') return c.standing === 'pause';
  return c.standing !== 'drain';
}

modelSuite({
  machine: connectionMachine,
  input: INPUT,
  events: EVENTS,
  filterEvents: canCause,
  driver: () => new ConnectionDriver(),
  scenarios: [
    // An unclean close: the unconfirmed result and the pause go out again after register.
    [CONNECT, OPENED, send(result('a')), send({ type: 'pause' }), CLOSED, RECONNECT, OPENED],
    // A confirmed result is not sent again; the next one is confirmed by a pong.
    [CONNECT, OPENED, send(result('a')), CONFIRM, PONG, CLOSED, RECONNECT, OPENED],
    // Drain survives a reconnect; a result produced offline follows it; a clean close.
    [
      CONNECT,
      OPENED,
      send({ type: 'drain' }),
      CLOSED,
      send(result('a')),
      RECONNECT,
      OPENED,
      STOP,
      CLOSED,
    ],
    // A full batch pings at once; no pong: both results wait, undelivered at the close.
    [CONNECT, OPENED, send(result('a')), send(result('b')), PONG_TIMEOUT, STOP],
    // Refused twice: the backoff doubles.
    [CONNECT, CLOSED, RECONNECT, CLOSED, STOP],
  ],
});
