/**
 * The WebSocket inspector's transport against a local server: retries while the server turns
 * it away (one warning), delivers what waited once it connects, and lets go on stop.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocketServer } from 'ws';
import { assign, createActor, createMachine } from 'xstate';
import { attachWebSocketInspector } from '../../../src/inspect/websocket.ts';
import { captureLogs } from '../../support/log-capture.ts';
import { until } from '../../support/sdk-worker.ts';

const servers: Server[] = [];
const stuck: WebSocketServer[] = [];
afterEach(async () => {
  for (const server of stuck.splice(0)) {
    for (const client of server.clients) client.terminate();
    await new Promise((resolve) => server.close(resolve));
  }
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

/** Accepts one connection and never reads from it (a receiver whose host is stuck). */
async function stuckInspector() {
  const server = new WebSocketServer({ host: '127.0.0.1', port: 0 });
  stuck.push(server);
  await new Promise((resolve) => server.once('listening', resolve));
  server.on('connection', (ws) => ws.pause());
  const { port } = server.address() as AddressInfo;
  return { url: `ws://127.0.0.1:${port}`, connections: () => server.clients.size };
}

/** Every TICK makes inspection events of about 200 KB (the context goes with each snapshot). */
const heavy = createMachine({
  id: 'heavy',
  context: { blob: 'x'.repeat(200_000), ticks: 0 },
  on: { TICK: { actions: assign({ ticks: ({ context }) => context.ticks + 1 }) } },
});

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

  it('drops events for a receiver that stops reading (said once), and stops without its answer', async () => {
    const inspector = await stuckInspector();
    const logs = captureLogs();
    const sink = attachWebSocketInspector({
      url: inspector.url,
      logger: logs.logger,
      limitBytes: 256 * 1024,
    });
    const actor = createActor(heavy, { inspect: (event) => sink.observe(event) }).start();
    await until(() => inspector.connections() === 1, 5_000, 'the connection');
    const notReading = () =>
      logs.entries().filter((e) => String(e.msg).includes('is not reading')).length;
    const deadline = Date.now() + 20_000;
    while (notReading() === 0) {
      if (Date.now() > deadline) throw new Error('no event was dropped');
      for (let i = 0; i < 10; i++) actor.send({ type: 'TICK' });
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    for (let i = 0; i < 10; i++) actor.send({ type: 'TICK' });
    actor.stop();
    // The receiver never reads the close frame: stop() cuts the socket off instead of waiting.
    await sink.stop();
    expect(notReading()).toBe(1);
    const summary = logs.entries().filter((e) => e.dropped_events !== undefined);
    expect(summary).toEqual([
      expect.objectContaining({
        level: 40,
        msg: expect.stringMatching(/^\d+ inspection events were dropped because/),
      }),
    ]);
  });
});
