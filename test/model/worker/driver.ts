/**
 * The driver of the worker model: makes each event happen in the real system (causes.ts),
 * waits until the real worker handled it, then checks what the outside world shows in the
 * model's state (checks.ts).
 *
 * The real worker runs its shutdown sequence to the end by itself once it has begun, where the
 * model waits for each step's event: the driver reads the state each event led the real worker
 * to (handled.ts), and the events the worker causes itself are only waited for. Where the walk
 * chooses between outcomes (the last flush and the final heartbeat answered or failing), the
 * sink holds the request until the walk's event says how to answer it.
 */
import {
  type AnyEventObject,
  type AnyMachineSnapshot,
  type EventObject,
  type StateValue,
  toPromise,
} from 'xstate';
import type { WorkerOutput } from '../../../machines/worker.machine.ts';
import { processExists } from '../../support/engine-harness.ts';
import type { CoverageRecorder } from '../coverage.ts';
import { same } from '../expect.ts';
import { heartbeatViolations, wireViolations } from '../invariants.ts';
import type { PlannedWalk } from '../planner.ts';
import type { Driver } from '../runner.ts';
import { type Bookkeeping, GAVE_UP, makeHappen, shutdownStep } from './causes.ts';
import { checkState } from './checks.ts';
import { expectedWorkerPath } from './oracle.ts';
import { type Setup, WORKER_ID, WorkerSystem } from './system.ts';

/**
 * The timers the walk's events wait for, short; the others long enough never to fire (a
 * health probe of a vLLM that just exited would see it unhealthy before the exit is known).
 */
function setupFor(walk: readonly EventObject[]): Setup {
  const has = (type: string) => walk.some((event) => event.type === type);
  return {
    heartbeatS: has('HEARTBEAT_DUE') ? 0.25 : 3_600,
    graceS: has(shutdownStep('after', 'draining')) ? 1 : 60,
    backpressureS: has('BACKPRESSURE_READING') ? 0.05 : 0,
    healthWatchMs: has('ENGINE_UNHEALTHY') ? 20 : 60_000,
    unhealthyS: has(GAVE_UP) ? 0.2 : 3_600,
  };
}

export class WorkerDriver implements Driver {
  #system!: WorkerSystem;
  /** The model's state at the last check: the state the next event leaves. */
  #model!: AnyMachineSnapshot;
  readonly #book: Bookkeeping = { facts: [], held: undefined, next: undefined };
  #events: readonly EventObject[] = [];
  #step = 0;
  /** VLLM_UNHEALTHY_TIMEOUT of the walk's worker, in seconds. */
  #unhealthyS = 0;
  #output: WorkerOutput | undefined;

  async start(recorder: CoverageRecorder, { events }: PlannedWalk): Promise<void> {
    this.#events = events;
    const setup = setupFor(events);
    this.#unhealthyS = setup.unhealthyS;
    this.#system = await WorkerSystem.start(setup, recorder.inspect);
    void toPromise(this.#system.worker.actor).then((output) => {
      this.#output = output;
    });
  }

  async cause(event: AnyEventObject): Promise<void> {
    this.#step += 1;
    this.#book.next = this.#events[this.#step];
    const match = await makeHappen(this.#system, this.#book, this.#model, event);
    await this.#system.trace.next(match, event.type, 10_000);
  }

  realValue(): StateValue | undefined {
    return this.#system.trace.value();
  }

  async check(snapshot: AnyMachineSnapshot): Promise<void> {
    this.#model = snapshot;
    const caused = this.#events.slice(0, this.#step) as AnyEventObject[];
    const world = {
      system: this.#system,
      book: this.#book,
      output: () => this.#output,
      expected: expectedWorkerPath(caused, this.#unhealthyS),
    };
    const current = this.#system.worker.actor.getSnapshot().value;
    await checkState(world, snapshot, same(current, snapshot.value));
  }

  invariants(): string[] {
    return [
      ...wireViolations(this.#system.queue, WORKER_ID),
      ...heartbeatViolations(this.#system.heartbeats().map((h) => h.status)),
    ];
  }

  async stop(): Promise<void> {
    await this.#system.close();
    const pid = this.#system.vllmPid;
    if (pid !== undefined) await this.#system.eventually(() => !processExists(pid), 'vLLM to exit');
  }
}
