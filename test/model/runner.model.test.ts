/**
 * The runner itself: a walk whose real world breaks an invariant only after the last step is
 * red, not green.
 */

import { describe, expect, it } from 'vitest';
import { createMachine } from 'xstate';
import { createTestModel } from 'xstate/graph';
import { CoverageRecorder } from './coverage.ts';
import { type Driver, runWalk } from './runner.ts';

const machine = createMachine({
  id: 'one-step',
  initial: 'idle',
  states: { idle: { on: { GO: 'done' } }, done: { type: 'final' } },
});

/** A real world that settles the job twice, the second time a moment after the step. */
function lateDriver(): Driver {
  let value = 'idle';
  let outcomes = 0;
  return {
    start: async () => {},
    cause: async () => {
      value = 'done';
      outcomes = 1;
      setTimeout(() => (outcomes = 2), 0);
    },
    realValue: () => value,
    check: async () => {},
    invariants: () => (outcomes > 1 ? [`a second outcome for job a`] : []),
    stop: async () => {},
  };
}

describe('runWalk', () => {
  it('checks the invariants once more after the last step', async () => {
    const model = createTestModel(machine);
    const [path] = model.getShortestPaths({ toState: (state) => state.matches('done') });
    const walk = { events: [{ type: 'GO' }], path: path!, transitions: [], states: [], pairs: [] };
    const run = runWalk(model, walk, lateDriver(), new CoverageRecorder(machine));
    await expect(run).rejects.toThrow('a second outcome for job a');
  });
});
