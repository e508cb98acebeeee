/**
 * Clients of the status server that stop reading (issue 21 item 3): an /inspect/ws browser and
 * a /debug/events page that never read are disconnected once their backlog passes the bound,
 * counted on /metrics, and said once in the log; pages that read carry on. The server holds
 * at most STATUS_MAX_CONNECTIONS connections. Everything here is a real socket.
 */
import { connect, type Socket } from 'node:net';
import { describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { assign, createActor, createMachine } from 'xstate';
import { createStatusServer, STATUS_MAX_CONNECTIONS } from '../../../src/status/server.ts';
import { captureLogs } from '../../support/log-capture.ts';
import { until } from '../../support/sdk-worker.ts';
import { get, sample } from '../../support/status.ts';

/**
 * A stand-in root actor whose every event makes large inspection events and a large debug
 * state: 2 000 context entries of 190 characters (the debug state shows strings up to 200).
 */
function noisyRoot() {
  const filler = Object.fromEntries(
    Array.from({ length: 2_000 }, (_, i) => [`k${i}`, `${i}`.padEnd(190, 'x')]),
  );
  const machine = createMachine({
    id: 'noisy',
    context: { jobs: {}, ticks: 0, ...filler },
    on: { TICK: { actions: assign({ ticks: ({ context }) => context.ticks + 1 }) } },
  });
  return machine;
}

async function serve(limitBytes: number) {
  const logs = captureLogs();
  const server = createStatusServer({
    port: 0,
    host: '127.0.0.1',
    logger: logs.logger,
    slowClientLimitBytes: limitBytes,
  });
  const root = createActor(noisyRoot(), { inspect: server.inspect }).start();
  const url = await server.listen(root);
  if (url === undefined) throw new Error('the status server did not listen');
  return { server, root, url, logs, port: Number(new URL(url).port) };
}

async function dropped(url: string, client: 'sse' | 'websocket'): Promise<number> {
  const metrics = await get(`${url}/metrics`);
  return sample(metrics.body, `casola_status_clients_dropped_total{client="${client}"}`) ?? 0;
}

/** Sends TICKs (a few at a time, letting the server write) until `done`, or fails. */
async function tickUntil(root: { send(e: { type: 'TICK' }): void }, done: () => Promise<boolean>) {
  const deadline = Date.now() + 20_000;
  while (!(await done())) {
    if (Date.now() > deadline) throw new Error('the slow client was not cut off');
    for (let i = 0; i < 4; i++) root.send({ type: 'TICK' });
    await new Promise((resolve) => setTimeout(resolve, 30));
  }
}

/** Resolves when the socket ends (reading whatever the server had sent first). */
function ended(socket: Socket | WebSocket): Promise<void> {
  return new Promise((resolve) => socket.once('close', () => resolve()));
}

describe('status server: clients that stop reading', () => {
  it('disconnects an /inspect/ws browser that does not read; one that reads carries on', async () => {
    const { server, root, url, logs } = await serve(64 * 1024);
    const wsUrl = `${url.replace('http', 'ws')}/inspect/ws`;
    const stalled = new WebSocket(wsUrl);
    await new Promise((resolve) => stalled.once('open', resolve));
    stalled.pause();
    const reader = new WebSocket(wsUrl);
    let read = 0;
    reader.on('message', () => {
      read += 1;
    });
    await new Promise((resolve) => reader.once('open', resolve));
    try {
      await tickUntil(root, async () => (await dropped(url, 'websocket')) >= 1);
      const closed = ended(stalled);
      stalled.resume();
      await closed;
      const before = read;
      root.send({ type: 'TICK' });
      await until(() => read > before, 5_000, 'the reading browser to get the next event');
      expect(reader.readyState).toBe(WebSocket.OPEN);
      const warnings = logs.entries().filter((e) => e.level === 40);
      expect(warnings).toEqual([
        expect.objectContaining({
          msg: expect.stringContaining('a /inspect/ws client stopped reading: disconnected'),
        }),
      ]);
    } finally {
      reader.close();
      root.stop();
      await server.close();
    }
  });

  it('disconnects a /debug/events page that does not read, and counts each one', async () => {
    const { server, root, url, logs, port } = await serve(64 * 1024);
    const pages = Array.from({ length: 3 }, () => connect(port, '127.0.0.1'));
    for (const page of pages) {
      page.write('GET /debug/events HTTP/1.1\r\nhost: status\r\n\r\n');
      page.pause();
    }
    try {
      await tickUntil(root, async () => (await dropped(url, 'sse')) >= pages.length);
      const closed = pages.map(ended);
      for (const page of pages) page.resume();
      await Promise.all(closed);
      const said = logs.entries().filter((e) => String(e.msg).includes('stopped reading'));
      expect(said).toHaveLength(1);
      expect(said[0]?.msg).toContain('a /debug/events client stopped reading: disconnected');
      const fresh = await fetch(`${url}/debug/events`);
      const reader = fresh.body!.getReader();
      const first = new TextDecoder().decode((await reader.read()).value);
      expect(first.startsWith('data: {')).toBe(true);
      await reader.cancel();
    } finally {
      for (const page of pages) page.destroy();
      root.stop();
      await server.close();
    }
  });

  it(`holds at most ${STATUS_MAX_CONNECTIONS} connections: the next one is closed at once`, async () => {
    const { server, root, url, port } = await serve(64 * 1024);
    const open = async () => {
      const socket = connect(port, '127.0.0.1');
      await new Promise((resolve) => socket.once('connect', resolve));
      return socket;
    };
    const idle: Socket[] = [];
    try {
      for (let i = 0; i < STATUS_MAX_CONNECTIONS; i++) idle.push(await open());
      const extra = await open();
      await ended(extra);
      for (const socket of idle.splice(0)) socket.destroy();
      // Once the server has seen them close, it answers probes again.
      let answered: number | undefined;
      for (let tries = 0; answered !== 200 && tries < 50; tries++) {
        answered = (await get(`${url}/healthz`).catch(() => undefined))?.status;
      }
      expect(answered).toBe(200);
    } finally {
      for (const socket of idle) socket.destroy();
      root.stop();
      await server.close();
    }
  });

  it('closes a connection that sends no request', async () => {
    const { server, root, port } = await serve(64 * 1024);
    const socket = connect(port, '127.0.0.1');
    try {
      await ended(socket);
    } finally {
      socket.destroy();
      root.stop();
      await server.close();
    }
  });
});
