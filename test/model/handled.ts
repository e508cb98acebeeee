/**
 * What the real actor of one machine did, event by event, read from its inspection events:
 * every event it handled with the state value it was in afterwards, and every event it sent
 * to another actor. Some real states last a tick (a child process reports its spawn on the
 * next one), too short to poll for. A driver that waits here for the event each walk step
 * causes reads the state that very event led to; an event the walk did not cause that moved
 * the actor in between fails the walk.
 */
import type { EventObject, InspectionEvent, StateValue } from 'xstate';
import { same } from './expect.ts';

export type Handled = {
  event: EventObject;
  /** The state value right after the event. */
  value: StateValue;
  /** How many events the actor had sent by then. */
  sent: number;
};

type Inspectable = { getSnapshot?: () => { value?: StateValue; machine?: { id: string } } };

const machineIdOf = (ref: unknown) =>
  (ref as Inspectable | undefined)?.getSnapshot?.()?.machine?.id;

export class HandledEvents {
  readonly machineId: string;
  /** Every event handled, from `xstate.init` on. */
  readonly handled: Handled[] = [];
  /** Every event sent to another actor (its parent, its children), in order. */
  readonly sent: EventObject[] = [];
  /** The handled event the walk has reached. */
  #cursor = 0;
  #wake = new Set<() => void>();

  constructor(machineId: string) {
    this.machineId = machineId;
  }

  readonly inspect = (event: InspectionEvent): void => {
    if (event.type === '@xstate.event') {
      const fromActor = machineIdOf(event.sourceRef) === this.machineId;
      if (!fromActor || event.sourceRef === event.actorRef) return;
      this.sent.push(event.event);
    } else if (event.type === '@xstate.snapshot') {
      if (machineIdOf(event.actorRef) !== this.machineId) return;
      const value = (event.snapshot as unknown as { value: StateValue }).value;
      this.handled.push({ event: event.event, value, sent: this.sent.length });
    } else return;
    for (const wake of this.#wake) wake();
  };

  /** The state value the walk has reached (at first, the initial state). */
  value(): StateValue | undefined {
    return this.handled[this.#cursor]?.value;
  }

  /** The events the actor had sent when it reached the walk's state. */
  sentSoFar(): EventObject[] {
    return this.sent.slice(0, this.handled[this.#cursor]?.sent ?? 0);
  }

  /** The handled events that match, the walk's so far and later ones. */
  find(match: (event: EventObject) => boolean): Handled[] {
    return this.handled.filter((handled) => match(handled.event));
  }

  /**
   * Waits for the next handled event that matches `match` and moves the walk to it. Events
   * handled in between must have left the state as it was.
   */
  async next(match: (event: EventObject) => boolean, what: string, timeoutMs = 5_000) {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const from = this.#cursor;
      const at = this.handled.findIndex((handled, index) => index > from && match(handled.event));
      if (at >= 0) {
        const before = this.handled[from]!.value;
        const stray = this.handled.slice(from + 1, at).find((h) => !same(h.value, before));
        if (stray !== undefined) {
          throw new Error(
            `${this.machineId} moved to ${JSON.stringify(stray.value)} on ${stray.event.type}, ` +
              `which the walk did not cause (waiting for ${what})`,
          );
        }
        this.#cursor = at;
        return this.handled[at]!;
      }
      if (Date.now() > deadline) {
        const seen = this.handled.slice(from + 1).map((handled) => handled.event.type);
        throw new Error(`${this.machineId} never handled ${what} (then: ${seen.join(', ')})`);
      }
      await this.#changed(deadline);
    }
  }

  #changed(deadline: number): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.#wake.delete(done);
        resolve();
      };
      const timer = setTimeout(done, Math.max(deadline - Date.now(), 0) + 1);
      this.#wake.add(done);
    });
  }
}
