/**
 * What the outside world saw of the connection, checked in each model state against where the
 * walk's events must have led (connection.oracle.ts, not the machine): the state, registrations
 * and refusals at the queue, the frames on the current connection (register, the standing pause
 * or drain, the results kept while offline, then what was sent), the queue's view of dispatch,
 * the reconnect's delay, what the parent (the worker) was told, and the connection's own lines.
 */
import { expect } from 'vitest';
import type { AnyEventObject, AnyMachineSnapshot } from 'xstate';
import { eventIs, type LocalQueue } from '../../src/tools/queue/index.ts';
import { eventually } from '../support/eventually.ts';
import { type CapturedLogs, LEVELS } from '../support/log-capture.ts';
import { type ConnectionPath, isReconnectDelay, signature } from './connection.oracle.ts';
import { expectLines, same, stateValueOf } from './expect.ts';

export const GARBAGE = 'not json {';
/** The frame a FRAME_RECEIVED of a walk is: the queue sends it, the parent must get it. */
export const PROBE = {
  type: 'job_revoked',
  job_id: 'probe',
  reason: 'a frame from the queue',
} as const;

/** The connection machine's own lines (the socket's warnings, with a url, are not its). */
const MACHINE_LINE =
  /^(the queue connection closed|no pong from the queue|outbox full|the \w+ of job .* was not delivered)/;

export class ConnectionWitness {
  /** What the connection told its parent, in order. */
  readonly notices: AnyEventObject[] = [];
  readonly #queue: LocalQueue;
  readonly #workerId: string;
  readonly #logs: CapturedLogs;
  #refusals = 0;

  constructor(queue: LocalQueue, workerId: string, logs: CapturedLogs) {
    this.#queue = queue;
    this.#workerId = workerId;
    this.#logs = logs;
  }

  refused(): void {
    this.#refusals += 1;
  }

  /**
   * `stalled`: the queue is not reading the socket, so what was sent has not arrived yet;
   * `pending`: the delays of the connection's timers now.
   */
  async check(
    snapshot: AnyMachineSnapshot,
    path: ConnectionPath,
    stalled: boolean,
    pending: number[],
  ): Promise<void> {
    expect(snapshot.matches(stateValueOf(path.stage)), `in ${path.stage}`).toBe(true);
    const registrations = () =>
      this.#queue.events.filter(eventIs('worker_registered', (e) => e.workerId === this.#workerId));
    await eventually(() => registrations().length === path.connections, 'registrations');
    for (const r of registrations()) expect(r).toMatchObject({ configId: 'cfg', capacity: 1 });
    expect(this.#queue.events.filter(eventIs('connection_refused'))).toHaveLength(this.#refusals);
    // The queue answers each result for a job it never dispatched with an error frame; the
    // parent also hears the connection's end as xstate's done event.
    const incidental = (n: AnyEventObject) =>
      (n.type === 'QUEUE_FRAME' && n.frame.type === 'error') || n.type.startsWith('xstate.');
    const notices = this.notices.filter((n) => !incidental(n));
    expect(notices).toEqual(path.notices);
    this.#checkLines(path);
    if (snapshot.matches('idle')) {
      expect(this.#queue.events.filter(eventIs('connection_opened'))).toEqual([]);
    }
    if (path.connections > 0 && !stalled) {
      const id = registrations().at(-1)!.connectionId;
      const frames = () =>
        this.#queue.events
          .filter(eventIs('frame_in', (e) => e.connectionId === id))
          .map((e) => signature(e.frame as { type: string; job_id?: string }));
      const expected = path.frames.at(-1);
      const detail = () => ({ frames: frames(), expected });
      await eventually(() => same(frames(), expected), 'frames', detail);
      // Keep-alive: a ping while results await confirmation, or after a quiet interval.
      const pings = () => this.#queue.events.filter(eventIs('ping', (e) => e.connectionId === id));
      await eventually(() => pings().length === path.pings.at(-1), 'pings', pings);
    }
    // The state a readiness probe and the SDK read: registered exactly while online.
    expect(snapshot.hasTag('registered')).toBe(path.stage.startsWith('linked.online'));
    const seen = () => this.#queue.workers().find((w) => w.workerId === this.#workerId);
    if (path.stage.startsWith('linked.online') && !stalled) {
      const dispatch = () =>
        seen()?.paused === (path.standing === 'pause') &&
        seen()?.draining === (path.standing === 'drain');
      await eventually(dispatch, 'dispatch state', seen);
    }
    // The next attempt waits the backoff, plus its jitter.
    if (path.stage === 'backoff') {
      expect(pending.filter(isReconnectDelay(path.backoffMs)), `pending: ${pending}`).toHaveLength(
        1,
      );
    }
    if (!path.stage.startsWith('linked'))
      await eventually(() => seen() === undefined, 'disconnect');
  }

  /** The connection's own lines, in order: each drop, each lost link, each result undelivered. */
  #checkLines(path: ConnectionPath): void {
    const lines = this.#logs
      .entries()
      .filter((entry) => MACHINE_LINE.test(String(entry.msg)) || entry.level === LEVELS.error);
    expectLines(lines, path.lines);
  }
}
