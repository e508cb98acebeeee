/**
 * Runs planned walks against the real implementation. A driver makes each model event happen
 * in the real world (queue faults, mock vLLM options, signals, the SDK), and each state is
 * checked three times: the real actor's state value must equal the model's, the driver checks
 * what the outside world sees in that state, and the driver's behaviour invariants hold. After
 * the last step the real world runs on a moment and the invariants are checked once more.
 */
import type { AnyEventObject, AnyMachineSnapshot, EventObject, StateValue } from 'xstate';
import type { TestModel } from 'xstate/graph';
import type { CoverageRecorder } from './coverage.ts';
import { same } from './expect.ts';
import { expectNoViolations } from './invariants.ts';
import type { PlannedWalk } from './planner.ts';

export interface Driver {
  /**
   * Starts the real system for one walk; the recorder's `inspect` must see its actors. The
   * walk is there for drivers that must set the real world up ahead of an event (a queue that
   * refuses every connection, a socket stalled before the ping that a later PONG answers).
   */
  start(recorder: CoverageRecorder, walk: PlannedWalk): Promise<void>;
  /** Makes `event` happen in the real system (returns once it was caused, not handled). */
  cause(event: AnyEventObject): Promise<void>;
  /**
   * The real actor's state value (the actor this machine's model describes): its current one,
   * or the one the walk's latest event led it to where states last too short to poll for
   * (HandledEvents in handled.ts).
   */
  realValue(): StateValue | undefined;
  /** Checks what the outside world sees in the model's state `snapshot`. */
  check(snapshot: AnyMachineSnapshot): Promise<void>;
  /**
   * What the outside world shows that breaks a behaviour invariant (invariants.ts), one line
   * each: the runner asks after every step of every walk, whatever the state.
   */
  invariants(): string[] | Promise<string[]>;
  stop(): Promise<void>;
}

/** Polls until the real actor reaches `value`; states are reached asynchronously. */
async function settle(driver: Driver, value: StateValue, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!same(driver.realValue(), value)) {
    if (Date.now() > deadline) {
      throw new Error(
        `the real actor is in ${JSON.stringify(driver.realValue())}, the model in ${JSON.stringify(value)}`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
}

export async function runWalk(
  model: TestModel<AnyMachineSnapshot, EventObject, unknown>,
  walk: PlannedWalk,
  driver: Driver,
  recorder: CoverageRecorder,
  {
    settleMs = 5_000,
    restless = () => false,
    afterMs = 200,
  }: {
    settleMs?: number;
    restless?: (snapshot: AnyMachineSnapshot) => boolean;
    /**
     * How long the real world runs on after the walk's last step before the invariants are
     * checked once more (a second outcome, a frame for a revoked job), in ms; default 200.
     */
    afterMs?: number;
  } = {},
): Promise<void> {
  const { path } = walk;
  const events = Object.fromEntries(
    walk.events.map((event) => [
      event.type,
      (step: { event: EventObject }) => {
        recorder.causing(step.event);
        return driver.cause(step.event as AnyEventObject);
      },
    ]),
  );
  await driver.start(recorder, walk);
  try {
    await model.testPath(path, {
      events,
      states: {
        '*': async (snapshot) => {
          // The real world has already left a restless state: only the invariants hold there.
          if (!restless(snapshot)) {
            await settle(driver, snapshot.value, settleMs);
            await driver.check(snapshot);
          }
          expectNoViolations(await driver.invariants());
        },
      },
    });
    await new Promise((resolve) => setTimeout(resolve, afterMs));
    expectNoViolations(await driver.invariants());
  } finally {
    await driver.stop();
  }
}

/**
 * A short label for an event: its type and its scalar fields (`JOB_OFFERED(a, 1)`); a field that
 * is nothing but a type shows it (`SEND(pause)`).
 */
function eventLabel(event: EventObject): string {
  const type = event.type.replace(/^xstate\.(after|done\.actor|error\.actor)\./, '$1:');
  const scalars: string[] = [];
  const collect = (value: unknown): void => {
    if (value === null || value === undefined) return;
    if (typeof value !== 'object') scalars.push(String(value));
    else if (Object.keys(value).join() === 'type') collect((value as { type: unknown }).type);
    else for (const [key, inner] of Object.entries(value)) if (key !== 'type') collect(inner);
  };
  const { type: _, ...fields } = event as Record<string, unknown>;
  collect(fields);
  const detail = scalars
    .filter((s) => s.length <= 24)
    .slice(0, 3)
    .join(', ');
  return detail === '' ? type : `${type}(${detail})`;
}

/** A readable name for a walk: its events, in order. */
export function walkName(walk: PlannedWalk): string {
  return walk.events.length === 0 ? '(initial state)' : walk.events.map(eventLabel).join(' → ');
}
