/**
 * What the outside world saw of the connection, checked in each model state: registrations
 * and refusals at the queue, the frames on each registered connection (derived from the
 * model: register, the standing pause or drain, the outbox, then what was sent), the queue's
 * view of dispatch, and what the parent (the worker) was told.
 */
import { expect } from 'vitest';
import type { AnyEventObject, AnyMachineSnapshot } from 'xstate';
import type { ConnectionContext } from '../../machines/connection.machine.ts';
import type { OutboundFrame } from '../../machines/types.ts';
import { eventIs, type LocalQueue } from '../../src/tools/queue/index.ts';
import { eventually } from '../support/eventually.ts';

export const GARBAGE = 'not json {';
/** The frame a FRAME_RECEIVED of a walk is: the queue sends it, the parent must get it. */
export const PROBE = {
  type: 'job_revoked',
  job_id: 'probe',
  reason: 'a frame from the queue',
} as const;

/** A frame as the queue's log is compared: its type, and the job it is about. */
const signature = (frame: { type: string; job_id?: string }) =>
  frame.job_id === undefined ? frame.type : `${frame.type}:${frame.job_id}`;

const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

export class ConnectionWitness {
  /** What the connection told its parent, in order. */
  readonly notices: AnyEventObject[] = [];
  readonly #queue: LocalQueue;
  readonly #workerId: string;
  /** Frames the queue must see on each registered connection (1-based). */
  readonly #ledger = new Map<number, string[]>();
  #refusals = 0;
  #probes = 0;
  #garbage = 0;

  constructor(queue: LocalQueue, workerId: string) {
    this.#queue = queue;
    this.#workerId = workerId;
  }

  /** The socket opens in a state with context `c`: what the next connection starts with. */
  opened(c: ConnectionContext): void {
    const standing = c.standing === undefined ? [] : [c.standing];
    const outbox = c.outbox.map((frame) => signature(frame as { type: string }));
    this.#ledger.set(c.connections + 1, ['register', ...standing, ...outbox]);
  }

  /** A frame sent while online (with context `c`) goes out on the current connection. */
  sent(c: ConnectionContext, frame: OutboundFrame): void {
    this.#ledger.get(c.connections)!.push(signature(frame as { type: string }));
  }

  refused(): void {
    this.#refusals += 1;
  }

  probed(): void {
    this.#probes += 1;
  }

  garbled(): void {
    this.#garbage += 1;
  }

  /** `stalled`: the queue is not reading the socket, so what was sent has not arrived yet. */
  async check(snapshot: AnyMachineSnapshot, stalled: boolean): Promise<void> {
    const c = snapshot.context as ConnectionContext;
    const registrations = () =>
      this.#queue.events.filter(eventIs('worker_registered', (e) => e.workerId === this.#workerId));
    await eventually(() => registrations().length === c.connections, 'registrations');
    for (const r of registrations()) expect(r).toMatchObject({ configId: 'cfg', capacity: 1 });
    expect(this.#queue.events.filter(eventIs('connection_refused'))).toHaveLength(this.#refusals);
    this.#checkNotices(snapshot);
    if (snapshot.matches('idle')) {
      expect(this.#queue.events.filter(eventIs('connection_opened'))).toEqual([]);
    }
    if (c.connections > 0 && !stalled) {
      const id = registrations().at(-1)!.connectionId;
      const frames = () =>
        this.#queue.events
          .filter(eventIs('frame_in', (e) => e.connectionId === id))
          .map((e) => signature(e.frame as { type: string; job_id?: string }));
      const expected = this.#ledger.get(c.connections);
      const detail = () => ({ frames: frames(), expected });
      await eventually(() => same(frames(), expected), 'frames', detail);
    }
    const seen = () => this.#queue.workers().find((w) => w.workerId === this.#workerId);
    if (snapshot.matches({ linked: 'online' }) && !stalled) {
      const dispatch = () =>
        seen()?.paused === (c.standing === 'pause') &&
        seen()?.draining === (c.standing === 'drain');
      await eventually(dispatch, 'dispatch state', seen);
    }
    if (!snapshot.matches('linked')) await eventually(() => seen() === undefined, 'disconnect');
  }

  /** What the parent was told: connections, disconnections, frames, garbage, the close. */
  #checkNotices(snapshot: AnyMachineSnapshot): void {
    const c = snapshot.context as ConnectionContext;
    const of = (type: string) => this.notices.filter((n) => n.type === type);
    expect(of('QUEUE_CONNECTED').map((n) => n.connections)).toEqual(
      Array.from({ length: c.connections }, (_, i) => i + 1),
    );
    const online = snapshot.matches({ linked: 'online' });
    expect(of('QUEUE_DISCONNECTED')).toHaveLength(online ? c.connections - 1 : c.connections);
    const probes = of('QUEUE_FRAME').filter((n) => n.frame.job_id === PROBE.job_id);
    expect(probes.map((n) => n.frame)).toEqual(Array(this.#probes).fill(PROBE));
    expect(of('QUEUE_FRAME_REJECTED').map((n) => n.rejection.preview)).toEqual(
      Array(this.#garbage).fill(GARBAGE),
    );
    // Undelivered: results never sent, sent but not confirmed by a pong, and dropped from a
    // full outbox (each was logged as dropped).
    const undelivered = c.unconfirmed.length + c.outbox.length + c.outboxDropped;
    expect(of('CONNECTION_CLOSED')).toEqual(
      snapshot.matches('closed') ? [{ type: 'CONNECTION_CLOSED', undelivered }] : [],
    );
  }
}
