/**
 * One vitest suite per machine: build the test model with xstate/graph, plan walks that take
 * every reachable transition, run each against the real implementation, and write the
 * machine's coverage to coverage/model/<machine>.json (test/model/report.ts merges them).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, it } from 'vitest';
import {
  type AnyEventObject,
  type AnyMachineSnapshot,
  type AnyStateMachine,
  createActor,
  type EventObject,
  __unsafe_getAllOwnEventDescriptors as ownEventTypes,
} from 'xstate';
import { serializeSnapshot, TestModel } from 'xstate/graph';
import { CoverageRecorder, reportOf, totalsOf } from './coverage.ts';
import { planWalks } from './planner.ts';
import { type Driver, runWalk, walkName } from './runner.ts';

export type ModelSpec = {
  /** The machine as machines/ defines it (the coverage totals come from it). */
  machine: AnyStateMachine;
  /** Input for the model's initial state. */
  input?: unknown;
  /** Payload variants per event type (types with none are sent bare). */
  events: AnyEventObject[];
  /** A fresh driver for each walk. */
  driver: () => Driver;
  /**
   * Which events the real world can deliver in a state, where it is narrower than what the
   * machine accepts (a state that lasts one tick, one local HTTP request). Default: all.
   */
  possible?: (snapshot: AnyMachineSnapshot, event: EventObject) => boolean;
  /**
   * What tells two states of the model apart. Default: value and context (xstate/graph's
   * `serializeSnapshot`). A coarser key keeps the adjacency map small where the context holds
   * what no guard reads (a start time); the planner keys states the same way.
   */
  serializeState?: (snapshot: AnyMachineSnapshot) => string;
  /** Per-state wait for the real actor to match. Default 5 000 ms. */
  settleMs?: number;
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
 * xstate/graph's createTestModel less two things: it refuses machines that invoke actors or
 * use delays (here the real actors supply them, and the model takes their done, error and
 * after events like any other), and it keys a state by how it was reached too, where the
 * planner keys states by value and context.
 */
function testModelOf(
  machine: AnyStateMachine,
  spec: ModelSpec,
  fromState: AnyMachineSnapshot,
): TestModel<AnyMachineSnapshot, EventObject, unknown> {
  return new TestModel(machine, {
    serializeState: spec.serializeState ?? serializeSnapshot,
    events: (snapshot: AnyMachineSnapshot) =>
      ownEventTypes(snapshot).flatMap((type) => {
        const variants = spec.events.filter((event) => event.type === type);
        return variants.length > 0 ? variants : [{ type }];
      }),
    filterEvents: spec.possible,
    fromState,
  } as never) as TestModel<AnyMachineSnapshot, EventObject, unknown>;
}

export const COVERAGE_DIR = join(import.meta.dirname, '../../coverage/model');

export function modelSuite(spec: ModelSpec): void {
  const machine = walkable(spec.machine);
  // xstate/graph takes the initial state from `fromState` (its `input` option is not passed
  // through everywhere), so the model starts from the actor's own initial snapshot.
  const fromState = createActor(machine, { input: spec.input }).getSnapshot();
  const model = testModelOf(machine, spec, fromState);
  const walks = planWalks(machine, model, spec.serializeState ?? serializeSnapshot);
  const recorder = new CoverageRecorder(machine.id);

  describe(`${machine.id} machine, walked against the real actors`, () => {
    for (const walk of walks) {
      const name = walkName(walk);
      it(name, async () => {
        recorder.walk = name;
        await runWalk(model, walk, spec.driver(), recorder, { settleMs: spec.settleMs ?? 5_000 });
      });
    }

    afterAll(() => {
      const report = reportOf(totalsOf(spec.machine), recorder);
      mkdirSync(COVERAGE_DIR, { recursive: true });
      writeFileSync(
        join(COVERAGE_DIR, `${machine.id}.json`),
        `${JSON.stringify(report, null, 2)}\n`,
      );
    });
  });
}
