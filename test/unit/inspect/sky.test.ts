/**
 * The Sky inspector's wrapping, with the library's factory faked (Sky is not reachable from
 * tests): the live URL becomes one log entry, a failure one warning, and console.log is
 * given back on stop.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createActor, createMachine, type InspectionEvent } from 'xstate';
import { attachSkyInspector, type SkyInspectorOptions } from '../../../src/inspect/sky.ts';
import { captureLogs } from '../../support/log-capture.ts';

type Fake = {
  onerror: (error: Error) => void;
  forwarded: InspectionEvent[];
};

function fakeSky(): { fake: Fake; create: NonNullable<SkyInspectorOptions['create']> } {
  const fake: Fake = { onerror: () => undefined, forwarded: [] };
  const create = ((options: { onerror?: (error: Error) => void }) => {
    fake.onerror = options.onerror ?? fake.onerror;
    return { inspect: { next: (event: InspectionEvent) => fake.forwarded.push(event) } };
  }) as unknown as NonNullable<SkyInspectorOptions['create']>;
  return { fake, create };
}

const consoleLog = console.log;
afterEach(() => {
  console.log = consoleLog;
});

function someEvents(observe: (event: InspectionEvent) => void): void {
  const actor = createActor(createMachine({ id: 'm' }), { inspect: observe }).start();
  actor.stop();
}

describe('the Sky inspector', () => {
  it('logs the live URL Sky prints, forwards events, and restores console.log on stop', async () => {
    const logs = captureLogs();
    const { fake, create } = fakeSky();
    const printed: unknown[] = [];
    console.log = (...args: unknown[]) => printed.push(args.join(' '));
    const sky = attachSkyInspector({ logger: logs.logger, create });
    console.log('Connected to Sky, link to your live inspect session:');
    console.log('https://stately.ai/registry/inspect/0b6c1d4e');
    console.log('an unrelated line');
    someEvents((event) => sky.observe(event));
    await sky.stop();
    console.log('after stop');

    expect(printed).toEqual(['an unrelated line', 'after stop']);
    expect(logs.entries()).toContainEqual(
      expect.objectContaining({ url: 'https://stately.ai/registry/inspect/0b6c1d4e' }),
    );
    expect(fake.forwarded.map((e) => e.type)).toContain('@xstate.actor');
  });

  it('warns once when Sky cannot be reached and forwards nothing until it answers', async () => {
    const logs = captureLogs();
    const { fake, create } = fakeSky();
    const sky = attachSkyInspector({ logger: logs.logger, create });
    fake.onerror(new Error('getaddrinfo ENOTFOUND'));
    fake.onerror(new Error('getaddrinfo ENOTFOUND'));
    someEvents((event) => sky.observe(event));
    expect(fake.forwarded).toEqual([]);
    console.log('Connected to Sky, link to your live inspect session:');
    someEvents((event) => sky.observe(event));
    await sky.stop();

    expect(fake.forwarded.length).toBeGreaterThan(0);
    const warnings = logs.entries().filter((e) => e.level === 40);
    expect(warnings).toEqual([
      expect.objectContaining({
        error: 'getaddrinfo ENOTFOUND',
        msg: expect.stringContaining('the Stately Sky inspector cannot be reached'),
      }),
    ]);
  });
});
