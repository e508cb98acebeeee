/** Inspection events as JSON text: whatever a snapshot holds, the text is valid and bounded. */
import { describe, expect, it } from 'vitest';
import { createActor, createMachine } from 'xstate';
import { toJsonText } from '../../../src/inspect/serialize.ts';

describe('toJsonText', () => {
  it('survives cycles, Maps, errors, functions and bigints', () => {
    const cyclic: Record<string, unknown> = { name: 'a' };
    cyclic.self = cyclic;
    const value = {
      cyclic,
      map: new Map([['k', 1]]),
      error: new Error('boom'),
      fn: function named() {},
      big: 10n,
    };
    expect(JSON.parse(toJsonText(value))).toEqual({
      cyclic: { name: 'a', self: '[circular]' },
      map: { k: 1 },
      error: { name: 'Error', message: 'boom' },
      fn: { type: 'named' },
      big: '10',
    });
  });

  it('cuts objects deeper than the limit', () => {
    expect(JSON.parse(toJsonText({ a: { b: { c: 1 } } }, 2))).toEqual({ a: { b: '[depth]' } });
  });

  it("uses an actor's and a snapshot's own JSON forms", () => {
    const actor = createActor(createMachine({ id: 'm', initial: 'a', states: { a: {} } })).start();
    const json = JSON.parse(toJsonText({ ref: actor, snapshot: actor.getSnapshot() }));
    actor.stop();
    expect(json.ref).toEqual({ xstate$$type: 1, id: actor.id });
    expect(json.snapshot).toMatchObject({ value: 'a', status: 'active' });
    expect(json.snapshot.machine).toBeUndefined();
  });
});
