/**
 * The WebSocket inspector's transport against a local server: retries while the server turns
 * it away (one warning), delivers what waited once it connects, and lets go on stop.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocketServer } from 'ws';
import { createActor, createMachine } from 'xstate';
import { attachWebSocketInspector } from '../../../src/inspect/websocket.ts';
import { captureLogs } from '../../support/log-capture.ts';
import { until } from '../../support/sdk-worker.ts';

const servers: Server[] = [];
afterEach(async () => {
  for (const server of servers.splice(0)) {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
});

/** Refuses the first `refusals` upgrades with 503, then accepts; records every text frame. */
async function flakyInspector(refusals: number) {
  const http = createServer();
  servers.push(http);
  const sockets = new WebSocketServer({ noServer: true });
  const received: Array<{ type: string }> = [];
  let attempts = 0;
  http.on('upgrade', (request, socket, head) => {
    attempts += 1;
    if (attempts <= refusals) {
      socket.end('HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\n\r\n');
      return;
    }
    sockets.handleUpgrade(request, socket, head, (ws) => {
      ws.on('message', (data) => received.push(JSON.parse(String(data))));
    });
  });
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  const { port } = http.address() as AddressInfo;
  return { url: `ws://127.0.0.1:${port}`, received, attempts: () => attempts };
}

const machine = createMachine({ id: 'm', initial: 'a', states: { a: { on: { GO: 'b' } }, b: {} } });

describe('attachWebSocketInspector', () => {
  it('warns once while refused, then delivers the events that waited and the ones after', async () => {
    const inspector = await flakyInspector(3);
    const logs = captureLogs();
    const sink = attachWebSocketInspector({ url: inspector.url, logger: logs.logger, retryMs: 5 });
    const actor = createActor(machine, { inspect: (event) => sink.observe(event) }).start();
    await until(() => inspector.attempts() >= 4, 5_000, 'a fourth attempt');
    actor.send({ type: 'GO' });
    await until(() => inspector.received.length >= 4, 5_000, 'the events');
    await sink.stop();
    actor.stop();

    const types = inspector.received.map((e) => e.type);
    expect(types.slice(0, 3)).toEqual(['@xstate.actor', '@xstate.event', '@xstate.snapshot']);
    expect(types).toContain('@xstate.event');
    expect(logs.entries().filter((e) => e.level === 40)).toEqual([
      expect.objectContaining({ msg: expect.stringContaining('cannot be reached') }),
    ]);
  });

  it('keeps only the newest events while it cannot connect', async () => {
    const inspector = await flakyInspector(2);
    const sink = attachWebSocketInspector({
      url: inspector.url,
      logger: captureLogs().logger,
      retryMs: 5,
      maxDeferred: 1,
    });
    const actor = createActor(machine, { inspect: (event) => sink.observe(event) }).start();
    await until(() => inspector.received.length >= 1, 5_000, 'an event');
    await sink.stop();
    actor.stop();
    expect(inspector.received.map((e) => e.type)).toEqual(['@xstate.snapshot']);
  });

  it('stops trying on stop', async () => {
    const inspector = await flakyInspector(Number.POSITIVE_INFINITY);
    const sink = attachWebSocketInspector({
      url: inspector.url,
      logger: captureLogs().logger,
      retryMs: 5,
    });
    await until(() => inspector.attempts() >= 2, 5_000, 'two attempts');
    await sink.stop();
    // An attempt already on the wire when stop() came may still reach the server; after that,
    // nothing: ten retry intervals pass without a new one.
    await new Promise((resolve) => setTimeout(resolve, 20));
    const attempts = inspector.attempts();
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(inspector.attempts()).toBe(attempts);
  });
});
