/**
 * The connection, walked against the real connection actor (createConnectionLogic: the machine
 * with its real WebSocket) under a small parent that plays the worker. CONNECT, SEND and STOP
 * are the connection's API, sent as the worker sends them; everything on the other side is
 * the local queue: it accepts, refuses (a bearer token required), drops the socket, stalls
 * (pings and the close frame wait unanswered until it reads again), and sends frames and
 * garbage. Named delays run on a manual clock and fire as steps of the walk.
 */
import { expect } from 'vitest';
import {
  type Actor,
  type AnyActorRef,
  type AnyEventObject,
  type AnyMachineSnapshot,
  createActor,
  type EventObject,
  setup,
} from 'xstate';
import {
  type ConnectionInput,
  connectionMachine,
  INITIAL_BACKOFF_MS,
} from '../../machines/connection.machine.ts';
import type { OutboundFrame } from '../../machines/types.ts';
import { createConnectionLogic } from '../../src/connection/index.ts';
import { silentLogger } from '../../src/observability/logger.ts';
import { eventIs, type LocalQueue, startLocalQueue } from '../../src/queue/index.ts';
import { eventually } from '../support/eventually.ts';
import { ManualClock } from '../support/manual-clock.ts';
import type { CoverageRecorder } from './coverage.ts';
import type { PlannedWalk } from './planner.ts';
import type { Driver } from './runner.ts';
import { modelSuite } from './suite.ts';

const WORKER = 'w-conn';
/** A batch of two unconfirmed results pings at once (the worker's is 256). */
const INPUT: ConnectionInput = { workerId: WORKER, configId: 'cfg', capacity: 1, confirmBatch: 2 };
const GARBAGE = 'not json {';

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
const PROBE = { type: 'job_revoked', job_id: 'probe', reason: 'a frame from the queue' } as const;

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
    return c.connections > 0 && !held.some((f) => 'job_id' in f && f.job_id === frame.job_id);
  }
  if (frame.type === 'pause') return c.standing === undefined;
  if (frame.type === 'resume') return c.standing === 'pause';
  return c.standing !== 'drain';
}

/** A frame as the queue's log is compared: its type, and the job it is about. */
const signature = (frame: { type: string; job_id?: string }) =>
  frame.job_id === undefined ? frame.type : `${frame.type}:${frame.job_id}`;

class ConnectionDriver implements Driver {
  #queue!: LocalQueue;
  #clock = new ManualClock();
  #parent!: Actor<AnyActorRefLogic>;
  #connection!: AnyActorRef;
  #recorder!: CoverageRecorder;
  #walk!: PlannedWalk;
  #step = 0;
  /** Where in the recorder's log the next caused event is looked for. */
  #from = 0;
  #stalled = false;
  readonly #notices: AnyEventObject[] = [];
  /** Frames the queue must see on each registered connection (1-based), derived from the model. */
  readonly #ledger = new Map<number, string[]>();
  #refusals = 0;
  #probes = 0;
  #garbage = 0;

  async start(recorder: CoverageRecorder, walk: PlannedWalk): Promise<void> {
    this.#recorder = recorder;
    this.#walk = walk;
    this.#from = recorder.mark();
    const refusing = walk.events.some(
      (event, i) =>
        event.type === 'SOCKET_CLOSED' && walk.path.steps[i]!.state.matches({ linked: 'opening' }),
    );
    this.#queue = await startLocalQueue(refusing ? { requireToken: 'queue-secret' } : {});
    const connection = createConnectionLogic({
      url: `${this.#queue.wsUrl}/ws`,
      token: undefined,
      maxFrameBytes: 1 << 20,
      logger: silentLogger(),
      timings: { reconnectDelayMs: (backoffMs) => backoffMs },
    });
    const parent = setup({ actors: { connection } }).createMachine({
      invoke: { id: 'connection', systemId: 'connection', src: 'connection', input: INPUT },
      on: { '*': { actions: ({ event }) => this.#notices.push(event) } },
    });
    this.#parent = createActor(parent, { clock: this.#clock, inspect: recorder.inspect });
    this.#parent.start();
    this.#connection = this.#parent.getSnapshot().children.connection as AnyActorRef;
  }

  async cause(event: AnyEventObject): Promise<void> {
    const { steps } = this.#walk.path;
    const before = steps[this.#step]!.state;
    const after = steps[this.#step + 1]!.state;
    const next = this.#walk.events[this.#step + 1];
    this.#step += 1;
    this.#arrange(event, before, after, next);
    this.#expectFrames(event, before);
    this.#make(event, before);
    await this.#received((seen) =>
      event.type === 'FRAME_RECEIVED'
        ? seen.type === 'FRAME_RECEIVED' && seen.frame.job_id === PROBE.job_id
        : seen.type === event.type,
    );
    // The socket is gone: the stalled queue reads again and notices.
    if (this.#stalled && !after.matches('linked')) this.#resume();
  }

  /** The queue stops reading before a ping that must wait, or a close that must hang. */
  #arrange(
    event: AnyEventObject,
    before: AnyMachineSnapshot,
    after: AnyMachineSnapshot,
    next: EventObject | undefined,
  ): void {
    if (this.#stalled) return;
    const pinging = after.matches({ linked: { online: 'awaitingPong' } });
    const hanging = event.type === 'STOP' && after.matches({ linked: 'closing' });
    if (pinging && !before.matches({ linked: { online: 'awaitingPong' } })) this.#stall();
    else if (hanging && next?.type !== 'SOCKET_CLOSED') this.#stall();
  }

  #expectFrames(event: AnyEventObject, before: AnyMachineSnapshot): void {
    const c = before.context;
    if (event.type === 'SOCKET_OPENED') {
      const standing = c.standing === undefined ? [] : [c.standing as string];
      const outbox = (c.outbox as OutboundFrame[]).map(signature);
      this.#ledger.set(c.connections + 1, ['register', ...standing, ...outbox]);
    }
    if (event.type === 'SEND' && before.matches({ linked: 'online' })) {
      this.#ledger.get(c.connections)!.push(signature(event.frame));
    }
  }

  #make(event: AnyEventObject, before: AnyMachineSnapshot): void {
    switch (event.type) {
      case 'CONNECT':
      case 'STOP':
      case 'SEND':
        this.#connection.send(event);
        return;
      case 'SOCKET_OPENED':
        return; // the handshake completes on its own
      case 'SOCKET_CLOSED':
        if (before.matches({ linked: 'opening' })) this.#refusals += 1;
        else if (before.matches({ linked: 'closing' })) {
          if (this.#stalled) this.#resume(); // the queue reads the close frame and answers it
        } else this.#queue.faults.dropSocket(WORKER);
        return;
      case 'PONG':
        this.#resume(); // the queue reads the waiting ping and answers it
        return;
      case 'FRAME_RECEIVED':
        this.#probes += 1;
        this.#queue.faults.sendRaw(WORKER, JSON.stringify(PROBE));
        return;
      case 'FRAME_REJECTED':
        this.#garbage += 1;
        this.#queue.faults.sendRaw(WORKER, GARBAGE);
        return;
      default:
        this.#clock.fire(delayOf(event.type, before));
    }
  }

  #stall(): void {
    this.#queue.faults.stallSocket(WORKER);
    this.#stalled = true;
  }

  #resume(): void {
    this.#queue.faults.resumeSocket(WORKER);
    this.#stalled = false;
  }

  async #received(match: (event: AnyEventObject) => boolean): Promise<void> {
    await this.#recorder.waitForEvent(match, this.#from);
    const log = this.#recorder.received;
    this.#from = log.findIndex((event, i) => i >= this.#from && match(event)) + 1;
  }

  realValue() {
    return this.#connection.getSnapshot().value;
  }

  async check(snapshot: AnyMachineSnapshot): Promise<void> {
    const c = snapshot.context;
    const online = snapshot.matches({ linked: 'online' });
    const registrations = () =>
      this.#queue.events.filter(eventIs('worker_registered', (e) => e.workerId === WORKER));
    await eventually(() => registrations().length === c.connections, 'registrations');
    for (const r of registrations()) expect(r).toMatchObject({ configId: 'cfg', capacity: 1 });
    expect(this.#queue.events.filter(eventIs('connection_refused'))).toHaveLength(this.#refusals);
    this.#checkNotices(c, online);
    if (snapshot.matches('idle')) {
      expect(this.#queue.events.filter(eventIs('connection_opened'))).toEqual([]);
    }
    if (c.connections > 0 && !this.#stalled) {
      const id = registrations().at(-1)!.connectionId;
      const frames = () =>
        this.#queue.events
          .filter(eventIs('frame_in', (e) => e.connectionId === id))
          .map((e) => signature(e.frame as { type: string; job_id?: string }));
      const expected = this.#ledger.get(c.connections);
      await eventually(
        () => same(frames(), expected),
        'frames',
        () => ({ frames: frames(), expected }),
      );
    }
    const seen = () => this.#queue.workers().find((w) => w.workerId === WORKER);
    if (online && !this.#stalled) {
      await eventually(
        () =>
          seen()?.paused === (c.standing === 'pause') &&
          seen()?.draining === (c.standing === 'drain'),
        'dispatch state',
        seen,
      );
    }
    if (!snapshot.matches('linked')) await eventually(() => seen() === undefined, 'disconnect');
  }

  /** What the parent was told: connections, disconnections, frames, garbage, the close. */
  #checkNotices(c: AnyMachineSnapshot['context'], online: boolean): void {
    const of = (type: string) => this.#notices.filter((n) => n.type === type);
    expect(of('QUEUE_CONNECTED').map((n) => n.connections)).toEqual(
      Array.from({ length: c.connections }, (_, i) => i + 1),
    );
    expect(of('QUEUE_DISCONNECTED')).toHaveLength(online ? c.connections - 1 : c.connections);
    const probes = of('QUEUE_FRAME').filter((n) => n.frame.job_id === PROBE.job_id);
    expect(probes.map((n) => n.frame)).toEqual(Array(this.#probes).fill(PROBE));
    expect(of('QUEUE_FRAME_REJECTED').map((n) => n.rejection.preview)).toEqual(
      Array(this.#garbage).fill(GARBAGE),
    );
    const closed = of('CONNECTION_CLOSED');
    expect(closed).toEqual(
      this.#connection.getSnapshot().status === 'done'
        ? [{ type: 'CONNECTION_CLOSED', undelivered: c.outbox.length }]
        : [],
    );
  }

  async stop(): Promise<void> {
    if (this.#stalled) this.#resume();
    this.#parent.stop();
    await this.#queue.close();
  }
}

type AnyActorRefLogic = Parameters<typeof createActor>[0];

const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

/** The delay a delayed event's timer was set with: the machine's, or the current backoff. */
function delayOf(type: string, before: AnyMachineSnapshot): number {
  const name = type.split('.')[2]!;
  if (name === 'RECONNECT_DELAY') return before.context.backoffMs;
  return connectionMachine.implementations.delays[name as 'PING_INTERVAL'] as number;
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
