/** What watches a worker: nothing at all unless asked (inspection off costs nothing). */
import { describe, expect, it } from 'vitest';
import { createActor, createMachine } from 'xstate';
import { createInspection } from '../../../src/inspect/index.ts';
import { watchWorker } from '../../../src/worker/watch.ts';
import { captureLogs } from '../../support/log-capture.ts';

describe('watchWorker', () => {
  it('gives the root actor no inspect option when neither inspector nor status server is on', async () => {
    const watch = watchWorker({ config: {}, logger: captureLogs().logger });
    expect(watch.actorOptions).toEqual({});
    const actor = createActor(createMachine({}));
    expect(await watch.start(actor)).toBeUndefined();
    await watch.stop();
  });

  it('inspects when the status server is on, or when the caller observes', async () => {
    const logger = captureLogs().logger;
    const status = watchWorker({ config: { statusPort: 0 }, statusHost: '127.0.0.1', logger });
    expect(status.actorOptions.inspect).toBeTypeOf('function');
    await status.stop();
    const observed = watchWorker({ config: {}, logger, inspect: () => undefined });
    expect(observed.actorOptions.inspect).toBeTypeOf('function');
  });
});

describe('createInspection', () => {
  it('keeps a failing observer away from the actors and logs it once', () => {
    const logs = captureLogs();
    const seen: string[] = [];
    const inspection = createInspection({
      logger: logs.logger,
      observers: [
        () => {
          throw new Error('observer bug');
        },
        (event) => seen.push(event.type),
      ],
    });
    const actor = createActor(
      createMachine({ initial: 'a', states: { a: { on: { GO: 'b' } }, b: {} } }),
      {
        inspect: inspection.inspect!,
      },
    ).start();
    actor.send({ type: 'GO' });
    expect(actor.getSnapshot().value).toBe('b');
    actor.stop();
    expect(seen).toContain('@xstate.snapshot');
    expect(logs.entries().filter((e) => e.level === 50)).toHaveLength(1);
  });
});
