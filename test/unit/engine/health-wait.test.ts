/**
 * The start-up wait for /health on its own, against a server that answers 503: it probes on
 * its interval, says why it is not ready once per reason, and leaves no listener behind on the
 * signal that ends it.
 */
import { getEventListeners } from 'node:events';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { createHealthActors } from '../../../src/engine/health.ts';

const servers: Array<ReturnType<typeof createServer>> = [];
afterEach(() => {
  for (const server of servers.splice(0)) server.close();
});

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
    // The promise creator, called as xstate calls it, with a signal this test holds.
    const creator = (waitForHealth as unknown as { config: (args: object) => Promise<void> })
      .config;
    const controller = new AbortController();
    const waiting = creator({ signal: controller.signal, input: undefined });
    while (server.probes() < 20) await new Promise((resolve) => setTimeout(resolve, 5));
    expect(getEventListeners(controller.signal, 'abort').length).toBeLessThanOrEqual(1);
    controller.abort();
    await waiting;
    expect(reasons).toEqual(['HTTP 503']);
  });
});
