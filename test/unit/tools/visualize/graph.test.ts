import { describe, expect, it } from 'vitest';
import { and, createMachine, not, stateIn } from 'xstate';
import { machineGraph } from '../../../../src/tools/visualize/graph.ts';
import { tinyGraph } from '../../../support/visualize.ts';

describe('machineGraph', () => {
  const graph = tinyGraph();
  const state = (id: string) => graph.states.find((s) => s.id === id)!;
  const transition = (id: string) => graph.transitions.find((t) => t.id === id)!;

  it('lists every state in document order, the machine first, with its kind and path', () => {
    expect(graph.id).toBe('tiny');
    expect(graph.states.map((s) => [s.path.join('.'), s.kind])).toEqual([
      ['', 'compound'],
      ['idle', 'atomic'],
      ['busy', 'compound'],
      ['busy.fetching', 'atomic'],
      ['busy.checking', 'atomic'],
      ['busy.finished', 'final'],
      ['both', 'parallel'],
      ['both.left', 'compound'],
      ['both.left.l1', 'atomic'],
      ['both.right', 'compound'],
      ['both.right.r1', 'atomic'],
      ['failed', 'final'],
      ['done', 'final'],
    ]);
  });

  it('records initial states, children, tags, invoked actors and comments', () => {
    expect(state('tiny')).toMatchObject({ key: 'tiny', parent: undefined, initial: 'tiny.idle' });
    expect(state('tiny').comment).toMatch(/^A tiny machine with one of everything/);
    expect(state('tiny.busy')).toMatchObject({
      parent: 'tiny',
      children: ['tiny.busy.fetching', 'tiny.busy.checking', 'tiny.busy.finished'],
      initial: 'tiny.busy.fetching',
      tags: ['working'],
      invokes: [{ id: 'watch', name: 'watch', src: 'watcher' }],
      comment: 'Working: the watcher runs while any child is active.',
    });
    expect(state('tiny.busy.fetching').invokes).toEqual([
      { id: '0.tiny.busy.fetching', name: 'fetcher', src: 'fetcher' },
    ]);
    expect(state('tiny.both').initial).toBeUndefined();
    expect(state('tiny.busy.finished').comment).toBeUndefined();
  });

  it('names events, delays, actor completions and eventless transitions readably', () => {
    expect(transition('tiny.idle|GO|0')).toMatchObject({
      kind: 'event',
      trigger: 'GO',
      guard: 'isReady',
      targets: ['tiny.busy'],
    });
    expect(transition('tiny.idle|xstate.after.PATIENCE.tiny.idle|0')).toMatchObject({
      kind: 'delayed',
      trigger: 'after PATIENCE',
      delay: 'PATIENCE',
    });
    expect(transition('tiny.idle|xstate.after.500.tiny.idle|0')).toMatchObject({
      trigger: 'after 500ms',
      targets: ['tiny.failed'],
    });
    expect(
      transition('tiny.busy.fetching|xstate.error.actor.0.tiny.busy.fetching|0'),
    ).toMatchObject({
      kind: 'error',
      trigger: 'error: fetcher',
      actor: 'fetcher',
      targets: ['tiny.failed'],
    });
    expect(transition('tiny.busy|xstate.done.state.tiny.busy|0')).toMatchObject({
      kind: 'stateDone',
      trigger: 'onDone',
    });
    expect(transition('tiny.busy.checking|always|0')).toMatchObject({
      kind: 'always',
      event: '',
      guard: 'isReady && !isLate',
      targets: ['tiny.busy.finished'],
    });
  });

  it('keeps targetless transitions with their actions, and ignored events with none', () => {
    expect(transition('tiny|PING|0')).toMatchObject({ targets: [], actions: ['note'] });
    expect(transition('tiny.busy.checking|PING|0')).toMatchObject({ targets: [], actions: [] });
  });

  it('names combined and inline guards', () => {
    const machine = createMachine({
      id: 'm',
      initial: 'a',
      states: {
        a: {
          on: {
            X: { guard: not(and(['p', 'q'])), target: 'b' },
            Y: { guard: stateIn('#m.b'), target: 'b' },
            Z: { guard: () => true, target: 'b' },
          },
        },
        b: {},
      },
    });
    expect(machineGraph(machine).transitions.map((t) => t.guard)).toEqual([
      '!(p && q)',
      'in "#m.b"',
      'inline',
    ]);
  });
});
