/**
 * A clock for `createActor(logic, { clock })` whose timers fire only when a test fires them:
 * every named delay of every machine in the actor system (a ping interval, a renewal, a grace
 * period) becomes a step the test takes, never a race with the test. Real I/O keeps real time.
 */
import type { ActorOptions, AnyActorLogic } from 'xstate';

type Clock = NonNullable<ActorOptions<AnyActorLogic>['clock']>;

type Timer = { fn: () => void; delay: number };

export class ManualClock implements Clock {
  readonly #timers = new Map<number, Timer>();
  #nextId = 1;

  setTimeout(fn: () => void, delay: number): number {
    const id = this.#nextId++;
    this.#timers.set(id, { fn, delay });
    return id;
  }

  clearTimeout(id: number): void {
    this.#timers.delete(id);
  }

  /** The delays (ms) of the timers set and not yet fired or cleared, oldest first. */
  pending(): number[] {
    return [...this.#timers.values()].map((timer) => timer.delay);
  }

  /**
   * Fires every pending timer of `delay` ms, oldest first (a delay two actors count together,
   * such as the worker's grace period and its connection's); throws when there is none.
   */
  fireEach(delay: number): void {
    const due = [...this.#timers].filter(([, timer]) => timer.delay === delay);
    if (due.length === 0) throw new Error(`expected a pending ${delay} ms timer, found none`);
    for (const [id, timer] of due) {
      this.#timers.delete(id);
      timer.fn();
    }
  }

  /** Fires the one pending timer of `delay` ms; throws when there is none, or more than one. */
  fire(delay: number): void {
    this.fireWhere((ms) => ms === delay, `${delay} ms`);
  }

  /**
   * Fires the one pending timer whose delay `matches` (a delay with jitter), `what` naming it;
   * throws when there is none, or more than one.
   */
  fireWhere(matches: (delay: number) => boolean, what: string): void {
    const due = [...this.#timers].filter(([, timer]) => matches(timer.delay));
    if (due.length !== 1) {
      throw new Error(
        `expected one pending ${what} timer, found ${due.length} (pending: ${this.pending().join(', ') || 'none'})`,
      );
    }
    const [id, timer] = due[0]!;
    this.#timers.delete(id);
    timer.fn();
  }
}
