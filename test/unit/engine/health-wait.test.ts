/**
 * The start-up wait for /health on its own, against a server that answers 503: it probes on
 * its interval, says why it is not ready once per reason, and leaves no listener behind on the
 * signal that ends it; against the mock vLLM loading (its port refuses connections, as vLLM's
 * does), it waits on until the port opens.
 */
import { getEventListeners } from 'node:events';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { createHealthActors } from '../../../src/engine/health.ts';
import { startTestMockVllm, type TestMockVllm } from '../../support/mock-vllm.ts';

const servers: Array<ReturnType<typeof createServer>> = [];
const mocks: TestMockVllm[] = [];
afterEach(async () => {
  for (const server of servers.splice(0)) server.close();
  for (const mock of mocks.splice(0)) await mock.close();
});

/** The promise creator of a fromPromise actor, called as xstate calls it, with a signal the test holds. */
function run(actor: unknown, signal: AbortSignal): Promise<void> {
  const creator = (actor as { config: (args: object) => Promise<void> }).config;
  return creator({ signal, input: undefined });
}

async function loadingServer(): Promise<{ url: string; probes: () => number }> {
  let probes = 0;
  const server = createServer((_, res) => {
    probes += 1;
    res.statusCode = 503;
    res.end('loading');
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    probes: () => probes,
  };
}

describe('waitForHealth', () => {
  it('probes until stopped, tells each new reason once, and leaves no abort listener', async () => {
    const server = await loadingServer();
    const reasons: string[] = [];
    const { waitForHealth } = createHealthActors({
      baseUrl: server.url,
      servedModelName: 'm',
      pollIntervalMs: 1,
      onNotReady: (reason) => reasons.push(reason),
    });
    const controller = new AbortController();
    const waiting = run(waitForHealth, controller.signal);
    while (server.probes() < 20) await new Promise((resolve) => setTimeout(resolve, 5));
    expect(getEventListeners(controller.signal, 'abort').length).toBeLessThanOrEqual(1);
    controller.abort();
    await waiting;
    expect(reasons).toEqual(['HTTP 503']);
  });

  it('takes a refused connection (vLLM loading: its port bound, not listened on) as not up yet', async () => {
    const mock = await startTestMockVllm({ startupDelayMs: 600_000 });
    mocks.push(mock);
    const reasons: string[] = [];
    const { waitForHealth } = createHealthActors({
      baseUrl: mock.url,
      servedModelName: 'm',
      pollIntervalMs: 1,
      onNotReady: (reason) => reasons.push(reason),
    });
    let done = false;
    const waiting = run(waitForHealth, new AbortController().signal).then(() => {
      done = true;
    });
    while (reasons.length === 0) await new Promise((resolve) => setTimeout(resolve, 5));
    expect(reasons).toEqual([expect.stringContaining('ECONNREFUSED')]);
    expect(done).toBe(false);
    const ready = await fetch(`${mock.controlUrl}/mock/ready`, { method: 'POST' });
    expect(ready.status).toBe(200);
    await waiting;
    expect(mock.received.map((request) => request.path)).toContain('/health');
  });
});
