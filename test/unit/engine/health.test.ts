/**
 * Health while serving, with the mock vLLM as a real child process: losing /health moves the
 * engine ready → unhealthy (ENGINE_UNHEALTHY), getting it back moves it to ready again
 * (ENGINE_RECOVERED). The mock is told through its control endpoint or by signals.
 */
import { describe, it, type TestContext } from 'vitest';
import { type EngineHarness, startEngine } from '../../support/engine-harness.ts';

async function ready(test: TestContext, watchIntervalMs = 20): Promise<EngineHarness> {
  const engine = await startEngine({ health: { pollIntervalMs: 20, watchIntervalMs } });
  test.onTestFinished(() => engine.close());
  await engine.next('ENGINE_READY');
  return engine;
}

async function setHealth(engine: EngineHarness, healthy: boolean): Promise<void> {
  const response = await fetch(`${engine.url}/mock/health`, {
    method: 'POST',
    body: JSON.stringify({ healthy }),
  });
  if (response.status !== 200) throw new Error(`POST /mock/health: ${await response.text()}`);
}

const types = (engine: EngineHarness) => engine.notices().map((n) => n.type);

describe.concurrent('engine health while serving', () => {
  it('goes unhealthy and back to ready as /health fails and recovers', async (test) => {
    const { expect } = test;
    const engine = await ready(test);
    await setHealth(engine, false);
    expect(await engine.next('ENGINE_UNHEALTHY')).toEqual({
      type: 'ENGINE_UNHEALTHY',
      reason: 'HTTP 503',
    });
    expect(engine.state()).toEqual({ running: 'unhealthy' });
    await setHealth(engine, true);
    await engine.next('ENGINE_RECOVERED');
    expect(engine.state()).toEqual({ running: 'ready' });
    expect(types(engine)).toEqual(['ENGINE_READY', 'ENGINE_UNHEALTHY', 'ENGINE_RECOVERED']);
  });

  it('follows SIGUSR1 (health lost) and SIGUSR2 (health regained) sent to vLLM', async (test) => {
    const { expect } = test;
    const engine = await ready(test);
    const pid = engine.context().pid as number;
    process.kill(pid, 'SIGUSR1');
    await engine.reaches({ running: 'unhealthy' });
    process.kill(pid, 'SIGUSR2');
    await engine.reaches({ running: 'ready' });
    expect(types(engine)).toEqual(['ENGINE_READY', 'ENGINE_UNHEALTHY', 'ENGINE_RECOVERED']);
  });

  it('recovers when health comes back before the first probe after the loss', async (test) => {
    const { expect } = test;
    // A long watch interval: /health is 200 again before unhealthy's watch first probes it.
    const engine = await ready(test, 300);
    await setHealth(engine, false);
    await engine.next('ENGINE_UNHEALTHY');
    await setHealth(engine, true);
    await engine.next('ENGINE_RECOVERED');
    expect(engine.state()).toEqual({ running: 'ready' });
  });

  it('loses health again after recovering, each change reported once', async (test) => {
    const { expect } = test;
    const engine = await ready(test);
    for (const round of [1, 2]) {
      await setHealth(engine, false);
      await engine.reaches({ running: 'unhealthy' });
      await setHealth(engine, true);
      await engine.reaches({ running: 'ready' });
      expect(types(engine)).toHaveLength(1 + 2 * round);
    }
    expect(types(engine)).toEqual([
      'ENGINE_READY',
      'ENGINE_UNHEALTHY',
      'ENGINE_RECOVERED',
      'ENGINE_UNHEALTHY',
      'ENGINE_RECOVERED',
    ]);
  });
});
