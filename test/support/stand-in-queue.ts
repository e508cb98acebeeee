/**
 * A stand-in queue for tests that need what the local queue does not do: go away for a while
 * (nothing listens on its port) and come back on the same port, or act on a frame the moment it
 * arrives (drop the socket after the 50th result). A plain `ws` server: it answers pings (ws
 * does), records every frame it reads, and sends what the test tells it to.
 */
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { type WebSocket, WebSocketServer } from 'ws';

export type StandInFrame = { type: string; job_id?: string; [key: string]: unknown };

/** One accepted socket and the frames read from it, in order. */
export type StandInConnection = { readonly ws: WebSocket; readonly frames: StandInFrame[] };

export type StandInQueue = {
  /** `ws://127.0.0.1:<port>`: the SDK's `wsUrl` (it appends `/ws`). */
  readonly url: string;
  readonly port: number;
  /** Every connection accepted so far, oldest first. */
  readonly connections: readonly StandInConnection[];
  /** Called with each frame as it is read (after it is recorded). */
  onFrame(handler: (frame: StandInFrame, connection: StandInConnection) => void): void;
  send(connection: StandInConnection, frame: object): void;
  /** Drops every socket (no close frame) and stops listening: connection attempts are refused. */
  goAway(): Promise<void>;
  /** Listens on the same port again. */
  comeBack(): Promise<void>;
  close(): Promise<void>;
};

export async function startStandInQueue(): Promise<StandInQueue> {
  const connections: StandInConnection[] = [];
  const handlers: Array<(frame: StandInFrame, connection: StandInConnection) => void> = [];
  let server = await listen(0);
  const port = (server.address() as AddressInfo).port;
  const accept = (ws: WebSocket) => {
    const connection = { ws, frames: [] as StandInFrame[] };
    connections.push(connection);
    ws.on('message', (data) => {
      const frame = JSON.parse(data.toString()) as StandInFrame;
      connection.frames.push(frame);
      for (const handler of handlers) handler(frame, connection);
    });
  };
  server.on('connection', accept);
  const goAway = async () => {
    for (const client of server.clients) client.terminate();
    await new Promise((resolve) => server.close(resolve));
  };
  return {
    url: `ws://127.0.0.1:${port}`,
    port,
    connections,
    onFrame: (handler) => handlers.push(handler),
    send: (connection, frame) => connection.ws.send(JSON.stringify(frame)),
    goAway,
    comeBack: async () => {
      server = await listen(port);
      server.on('connection', accept);
    },
    close: goAway,
  };
}

async function listen(port: number): Promise<WebSocketServer> {
  const server = new WebSocketServer({ host: '127.0.0.1', port, path: '/ws' });
  await once(server, 'listening');
  return server;
}
