/**
 * One vitest suite per machine: build the test model with xstate/graph, plan walks that take
 * every reachable transition and pair of consecutive transitions, run each against the real implementation, and write the
 * machine's coverage to coverage/model/<machine>[.<part>].json (test/model/report.ts merges
 * them).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  type AnyEventObject,
  type AnyMachineSnapshot,
  type AnyStateMachine,
  createActor,
  type EventObject,
  __unsafe_getAllOwnEventDescriptors as eventTypesOf,
} from 'xstate';
import { serializeSnapshot, TestModel } from 'xstate/graph';
import { machineGraph } from '../../src/tools/visualize/graph.ts';
import { CoverageRecorder, reportOf, totalsOf } from './coverage.ts';
import { type PlannedWalk, planScenario, planWalks, type Unreachable } from './planner.ts';
import { type Driver, runWalk, walkName } from './runner.ts';

export type ModelSpec = {
  /** The machine as machines/ defines it (the coverage totals come from it). */
  machine: AnyStateMachine;
  /**
   * Which of several suites of one machine this is (its input differs): each writes its own
   * coverage file, and report.ts merges them. Default: the machine's only suite.
   */
  part?: string;
  /** Input for the model's initial state. */
  input?: unknown;
  /** Payload variants per event type (types with none are sent bare). */
  events: AnyEventObject[];
  /** A fresh driver for each walk. */
  driver: () => Driver;
  /**
   * What tells two states of the model apart. Default: value and context (xstate/graph's
   * `serializeSnapshot`). A coarser key keeps the adjacency map small where the context holds
   * what no guard reads (a start time); the planner keys states the same way.
   */
  serializeState?: (snapshot: AnyMachineSnapshot) => string;
  /**
   * Whether walks are planned for every reachable pair of consecutive transitions, and a pair
   * no walk covered fails report.ts. Default true; the pairs are reported either way.
   */
  walkPairs?: boolean;
  /**
   * States the real world leaves at once by itself (a run told to end ends): a planned walk
   * never ends in one, it goes on the way the real world does. Default: none.
   */
  restless?: (snapshot: AnyMachineSnapshot) => boolean;
  /**
   * Plan few long walks, each chaining as many new transitions and pairs as it can reach, in
   * place of a short walk per transition or pair: for machines whose walks each start a process
   * or a queue. Default false.
   */
  longWalks?: boolean;
  /**
   * Whether a long walk may be these events, for drivers that set the real world up for the
   * whole walk at its start (a timer short enough to fire where the walk waits for it must not
   * fire where it does not). Default: any.
   */
  fits?: (events: readonly EventObject[]) => boolean;
  /**
   * Pairs the model can take and the real actors cannot (two timers in an order real time
   * cannot give, a line from a process that has exited), each group with why: they are left
   * out of the pairs to walk and reported apart. Default: none.
   */
  unreachable?: Unreachable[];
  /**
   * Events the real world sends the actor besides the walk's, which the model leaves out (the
   * queue's error answer to a result for a job it never dispatched): their transitions count,
   * but a pair is the walk's two consecutive transitions across them. Default: none.
   */
  incidental?: (event: EventObject) => boolean;
  /**
   * Event types that recur by themselves once their timer runs (a heartbeat every 250 ms): a
   * firing counts in the pairs only where the walk waits for one. Default: none.
   */
  recurring?: string[];
  /** Per-state wait for the real actor to match. Default 5 000 ms. */
  settleMs?: number;
  /**
   * Whether the real world can cause `event` in `snapshot`. Default: every event everywhere.
   * It keeps the model to what a driver can make happen (no frames without a socket), and
   * bounds contexts that would otherwise grow forever (a reconnect counter, an outbox).
   */
  filterEvents?: (snapshot: AnyMachineSnapshot, event: EventObject) => boolean;
  /**
   * Walks to run besides the planned ones, as events from the initial state: behaviours that
   * no shortest path shows (a result sent again after a reconnect). Each must be possible in
   * the model; it is checked like any planned walk.
   */
  scenarios?: EventObject[][];
};

/**
 * The model walks the machine with pure transitions: actions that send to other actors have
 * no one to send to there, so they are left out (assign, raise and the rest stay).
 */
function walkable(machine: AnyStateMachine): AnyStateMachine {
  const actions = machine.implementations.actions as Record<string, { type?: string }>;
  const sends = Object.entries(actions).filter(([, action]) => action?.type === 'xstate.sendTo');
  return machine.provide({ actions: Object.fromEntries(sends.map(([name]) => [name, () => {}])) });
}

/**
 * The test model, built as `createTestModel` builds it but without its validation, which
 * refuses machines that invoke actors or have delayed transitions: here the real actors do
 * that, and the model only needs the pure transitions. A state is its value and context alone
 * (the planner keys states the same way), not also the transition that led to it.
 */
function testModelOf(
  machine: AnyStateMachine,
  spec: ModelSpec,
  fromState: AnyMachineSnapshot,
): TestModel<AnyMachineSnapshot, EventObject, unknown> {
  const variants = (type: string) => {
    const listed = spec.events.filter((event) => event.type === type);
    return listed.length > 0 ? listed : [{ type }];
  };
  return new TestModel(machine, {
    fromState,
    serializeState: serializerOf(spec),
    serializeEvent: (event: EventObject) => JSON.stringify(event),
    events: (snapshot: AnyMachineSnapshot) => eventTypesOf(snapshot).flatMap(variants),
    filterEvents: spec.filterEvents,
  } as never) as unknown as TestModel<AnyMachineSnapshot, EventObject, unknown>;
}

/** States are told apart by value and context unless the spec says otherwise. */
function serializerOf(spec: ModelSpec): (snapshot: AnyMachineSnapshot) => string {
  return spec.serializeState ?? ((snapshot) => serializeSnapshot(snapshot));
}

export const COVERAGE_DIR = join(import.meta.dirname, '../../coverage/model');

/** The model of a spec and the walks planned on it (also for printing while writing a suite). */
export function planModel(spec: ModelSpec) {
  const machine = walkable(spec.machine);
  // xstate/graph takes the initial state from `fromState` (its `input` option is not passed
  // through everywhere), so the model starts from the actor's own initial snapshot.
  const fromState = createActor(machine, { input: spec.input }).getSnapshot();
  const model = testModelOf(machine, spec, fromState);
  const serialize = serializerOf(spec);
  const scenarios = (spec.scenarios ?? []).map((events) =>
    planScenario(machine, model, events, serialize),
  );
  const { walkPairs = true, restless = () => false, longWalks, fits, unreachable } = spec;
  const options = { walkPairs, restless, longWalks, fits, unreachable };
  const planned = planWalks(machine, model, serialize, options);
  const { pairs, unreachable: excluded } = planned;
  return { machine, model, walks: [...planned.walks, ...scenarios], pairs, excluded };
}

/**
 * The walks planned so far for each machine, by machine id, over all its suites in this file (a
 * machine's suites, such as the job's persisted and transient ones, plan its states together).
 */
const plannedByMachine = new Map<string, PlannedWalk[]>();

/**
 * The machine's states and transitions that no walk planned on its model takes. The model is the
 * machine itself, so a bug that makes a state or a transition unreachable (a guard that always
 * holds, a target lost) takes it out of the walks as well; the machine's own definition still
 * lists it, and this names it.
 */
function unplanned(machine: AnyStateMachine): string[] {
  const walks = plannedByMachine.get(machine.id) ?? [];
  const transitions = new Set(walks.flatMap((walk) => walk.transitions));
  // A state left at once (`always`) is no walk's resting state: a planned transition enters it.
  const targets = machineGraph(machine)
    .transitions.filter((t) => transitions.has(t.id))
    .flatMap((t) => t.targets);
  const states = new Set([...walks.flatMap((walk) => walk.states), ...targets]);
  const totals = totalsOf(machine);
  return [
    ...totals.states.filter((id) => !states.has(id)).map((id) => `state ${id}`),
    ...totals.transitions.filter((id) => !transitions.has(id)).map((id) => `transition ${id}`),
  ];
}

export function modelSuite(spec: ModelSpec): void {
  const name = spec.part === undefined ? spec.machine.id : `${spec.machine.id}.${spec.part}`;
  const title = `${name} machine, walked against the real actors`;
  let plan: ReturnType<typeof planModel>;
  try {
    plan = planModel(spec);
  } catch (error) {
    // A scenario the machine cannot take (a transition or guard lost) fails as a walk does,
    // not as a file that could not load: the machine is wrong, not the suite.
    describe(title, () => {
      it('plans its walks and scenarios on the machine', () => {
        throw error;
      });
    });
    return;
  }
  const { machine, model, walks, pairs, excluded } = plan;
  const { walkPairs = true } = spec;
  const recorder = new CoverageRecorder(spec.machine, spec.incidental, spec.recurring);
  plannedByMachine.set(machine.id, [...(plannedByMachine.get(machine.id) ?? []), ...walks]);

  describe(title, () => {
    // The events a suite lists are what the real world can cause: one the model takes nowhere
    // (a transition lost, a guard that never holds) would otherwise just drop out of the walks.
    it('every event it lists is taken by some walk', () => {
      const taken = new Set(walks.flatMap((walk) => walk.events.map((e) => JSON.stringify(e))));
      const untaken = spec.events.filter((event) => !taken.has(JSON.stringify(event)));
      expect(untaken, 'listed events no walk takes').toEqual([]);
    });

    it("its walks, with this machine's other suites, plan every state and transition", () => {
      expect(unplanned(spec.machine), 'states and transitions no walk plans').toEqual([]);
    });

    for (const walk of walks) {
      const walkLabel = walkName(walk);
      it(walkLabel, async () => {
        recorder.walk = walkLabel;
        const { settleMs = 5_000, restless } = spec;
        await runWalk(model, walk, spec.driver(), recorder, { settleMs, restless });
      });
    }

    afterAll(() => {
      const totals = { ...totalsOf(spec.machine), pairs, unreachable: excluded };
      const report = reportOf(totals, recorder, walkPairs);
      mkdirSync(COVERAGE_DIR, { recursive: true });
      writeFileSync(join(COVERAGE_DIR, `${name}.json`), `${JSON.stringify(report, null, 2)}\n`);
    });
  });
}
