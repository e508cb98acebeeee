import { describe, expect, it } from 'vitest';
import { leadingComment, stateComments } from '../../../../src/tools/visualize/comments.ts';
import { tinySource } from '../../../support/visualize.ts';

describe('machine source comments', () => {
  it('reads the first paragraph of the top comment as one line', () => {
    expect(leadingComment(tinySource)).toBe(
      'A tiny machine with one of everything the diagrams draw: nesting, a parallel state, final ' +
        'states, named and literal delays, eventless transitions, guards, invoked actors.',
    );
    expect(leadingComment('import x from "y";\n/** late */')).toBeUndefined();
  });

  it('maps each commented state path to its comment, at every depth', () => {
    expect(Object.fromEntries(stateComments(tinySource))).toEqual({
      idle: "Waiting; a brace in a string ('{') must not confuse the comment reader.",
      busy: 'Working: the watcher runs while any child is active.',
      'busy.fetching': 'The fetcher runs.',
      'busy.checking': 'Deciding at once whether to fetch again.',
      both: 'Two regions at once.',
      'both.left': 'The left region.',
      'both.right': 'The right region.',
      failed: 'Gave up.',
      done: 'Finished.',
    });
  });

  it('ignores comments outside states, strings, templates and states given by reference', () => {
    const source = `
      const shared = { /** not a state */ on: {} };
      export const m = setup({}).createMachine({
        /** the machine's id, not a state */
        id: 'm',
        context: () => ({ text: \`a } \${'{'} b\`, other: "} {" }),
        states: {
          // a line comment is not a doc comment
          a: { on: { GO: 'b' } },
          /** Shared config. */
          b: shared,
          /**
           * Spread over
           * two lines.
           */
          c: { ...shared, states: { /** Inner. */ d: {} } },
        },
      });`;
    expect(Object.fromEntries(stateComments(source))).toEqual({
      b: 'Shared config.',
      c: 'Spread over two lines.',
      'c.d': 'Inner.',
    });
  });

  it('finds nothing in a file without createMachine', () => {
    expect(stateComments('/** x */ const a = { states: { /** y */ b: {} } };').size).toBe(0);
  });
});
