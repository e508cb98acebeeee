/** Reading live actors: active state ids (the diagrams' element ids) and safe key context. */
import { describe, expect, it } from 'vitest';
import { createActor } from 'xstate';
import { activeStateIds, keyContext, viewActor } from '../../../src/status/actors.ts';
import { tinyMachine } from '../../fixtures/visualize/tiny.machine.ts';

describe('activeStateIds', () => {
  it('lists the root and every active node of nested and parallel states', () => {
    expect(activeStateIds(tinyMachine, 'idle')).toEqual(['tiny', 'tiny.idle']);
    const actor = createActor(tinyMachine).start();
    actor.send({ type: 'SPLIT' });
    const view = viewActor(actor);
    actor.stop();
    expect(view.machine).toBe('tiny');
    expect(view.active[0]).toBe('tiny');
    expect(view.active).toContain('tiny.both');
    expect(view.active.length).toBeGreaterThan(3);
    for (const id of view.active) expect(tinyMachine.getStateNodeById(id).id).toBe(id);
  });
});

describe('keyContext', () => {
  it('keeps scalars and small flat objects, sizes collections, and hides secrets, URLs, payloads and results', () => {
    const context = {
      workerId: 'w1',
      capacity: 2,
      failure: undefined,
      settings: { configId: 'c', apiToken: 'hunter2', limit: 3 },
      apiToken: 'hunter2',
      secretKey: 'x',
      resultUploadUrl: 'https://bucket/signed?sig=abc',
      outbox: [{ frame: 1 }, { frame: 2 }],
      settled: new Map([['a', 1]]),
      job: { payload: { prompt: 'private' } },
      result: 'the answer',
      handler: () => 1,
      line: 'x'.repeat(300),
    };
    expect(keyContext(context)).toEqual({
      workerId: 'w1',
      capacity: 2,
      settings: { configId: 'c', limit: 3 },
      outbox: { size: 2 },
      settled: { size: 1 },
      job: { size: 1 },
      line: `${'x'.repeat(200)}…`,
    });
  });

  it('shows nothing for a context that is not an object', () => {
    expect(keyContext(undefined)).toEqual({});
  });
});
