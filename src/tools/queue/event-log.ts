/**
 * The queue's event log: bounded (the oldest events go first), cheap to append to, and
 * awaitable, so that tests wait for what they expect instead of sleeping.
 */
import { QueueEventTimeoutError } from '../../errors.ts';
import type { EventOf, QueueEvent, QueueEventBody, QueueEventKind } from './events.ts';

export type WaitForOptions = {
  /** How long to wait for a match. Default 5 000 ms. */
  timeoutMs?: number;
  /** Only consider events with a sequence number greater than this. Default: every event. */
  after?: number;
};

export const DEFAULT_WAIT_MS = 5_000;

type Waiter = {
  predicate: (event: QueueEvent) => boolean;
  after: number;
  resolve: (event: QueueEvent) => void;
};

/** A type-guarding predicate: `eventIs('frame_out', (e) => e.frame.type === 'job')`. */
export function eventIs<K extends QueueEventKind>(
  kind: K,
  predicate?: (event: EventOf<K>) => boolean,
): (event: QueueEvent) => event is EventOf<K> {
  return (event): event is EventOf<K> =>
    event.kind === kind && (predicate === undefined || predicate(event as EventOf<K>));
}

export class EventLog {
  readonly #limit: number;
  #entries: QueueEvent[] = [];
  #start = 0;
  #seq = 0;
  readonly #waiters = new Set<Waiter>();
  readonly #listeners = new Set<(event: QueueEvent) => void>();

  constructor(limit: number) {
    this.#limit = Math.max(1, limit);
  }

  /** Appends an event and wakes the waiters it matches. */
  record(body: QueueEventBody): QueueEvent {
    this.#seq += 1;
    const event = { ...body, seq: this.#seq, time: Date.now() } as QueueEvent;
    this.#entries.push(event);
    if (this.#entries.length - this.#start > this.#limit) this.#start += 1;
    // Compacting in bulk keeps dropping the oldest event O(1) amortised.
    if (this.#start >= this.#limit) {
      this.#entries = this.#entries.slice(this.#start);
      this.#start = 0;
    }
    for (const waiter of this.#waiters) {
      if (event.seq > waiter.after && waiter.predicate(event)) waiter.resolve(event);
    }
    for (const listener of this.#listeners) listener(event);
    return event;
  }

  /** The sequence number of the latest event (0 before any). */
  get lastSeq(): number {
    return this.#seq;
  }

  /** Every retained event, oldest first. */
  all(): QueueEvent[] {
    return this.#entries.slice(this.#start);
  }

  filter<E extends QueueEvent>(predicate: (event: QueueEvent) => event is E): E[];
  filter(predicate: (event: QueueEvent) => boolean): QueueEvent[];
  filter(predicate: (event: QueueEvent) => boolean): QueueEvent[] {
    const found: QueueEvent[] = [];
    for (let i = this.#start; i < this.#entries.length; i += 1) {
      const event = this.#entries[i]!;
      if (predicate(event)) found.push(event);
    }
    return found;
  }

  /** Calls `listener` with every future event; returns the unsubscribe function. */
  subscribe(listener: (event: QueueEvent) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** The first matching event, past or future; rejects with QueueEventTimeoutError. */
  waitFor<E extends QueueEvent>(
    predicate: (event: QueueEvent) => event is E,
    options?: WaitForOptions,
  ): Promise<E>;
  waitFor(predicate: (event: QueueEvent) => boolean, options?: WaitForOptions): Promise<QueueEvent>;
  waitFor(
    predicate: (event: QueueEvent) => boolean,
    options: WaitForOptions = {},
  ): Promise<QueueEvent> {
    const after = options.after ?? 0;
    const past = this.filter((event) => event.seq > after && predicate(event))[0];
    if (past !== undefined) return Promise.resolve(past);
    const timeoutMs = options.timeoutMs ?? DEFAULT_WAIT_MS;
    return new Promise((resolve, reject) => {
      const waiter: Waiter = {
        predicate,
        after,
        resolve: (event) => {
          clearTimeout(timer);
          this.#waiters.delete(waiter);
          resolve(event);
        },
      };
      const timer = setTimeout(() => {
        this.#waiters.delete(waiter);
        const recent = this.all().slice(-10);
        reject(new QueueEventTimeoutError(timeoutMs, recent.map(describe)));
      }, timeoutMs);
      this.#waiters.add(waiter);
    });
  }
}

function describe(event: QueueEvent): string {
  if (event.kind === 'frame_in' || event.kind === 'frame_out') {
    return `${event.kind}:${event.frame.type}`;
  }
  return event.kind;
}
