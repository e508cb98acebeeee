/**
 * A TCP proxy in front of a test server, for what a link does that a server cannot: hold a new
 * connection before its first byte (a handshake in progress, until `release`), and carry the
 * client's bytes at a bounded rate (a slow uplink). Closing either side closes the other.
 */
import { once } from 'node:events';
import { connect, createServer, type Socket } from 'node:net';

export type TcpProxyOptions = {
  /** The port on 127.0.0.1 the proxy forwards to. */
  targetPort: number;
  /** Client-to-server rate in bytes per second. Default: unlimited. */
  bytesPerSecond?: number;
  /** Hold each new connection until `release()`. Default false. */
  hold?: boolean;
};

export type TcpProxy = {
  readonly port: number;
  /** Starts forwarding the connections held so far, or else the next one to come. */
  release(): void;
  /** Writes `bytes` to every forwarded client as if the server had sent them (between frames). */
  inject(bytes: Buffer): void;
  close(): Promise<void>;
};

/** Pipes `from` to `to` at no more than `rate` bytes per second, pausing `from` to keep to it. */
function throttle(from: Socket, to: Socket, rate: number): void {
  const started = Date.now();
  let sent = 0;
  from.on('data', (chunk: Buffer) => {
    to.write(chunk);
    sent += chunk.length;
    const ahead = (sent / rate) * 1_000 - (Date.now() - started);
    if (ahead > 0) {
      from.pause();
      setTimeout(() => from.resume(), ahead);
    }
  });
}

export async function startTcpProxy(options: TcpProxyOptions): Promise<TcpProxy> {
  const held: Array<() => void> = [];
  /** Releases that came before their connection did. */
  let released = 0;
  const sockets = new Set<Socket>();
  const clients = new Set<Socket>();
  const server = createServer((client) => {
    client.pause();
    const upstream = connect(options.targetPort, '127.0.0.1');
    for (const socket of [client, upstream]) {
      sockets.add(socket);
      socket.on('error', () => {});
      socket.on('close', () => {
        sockets.delete(socket);
        client.destroy();
        upstream.destroy();
      });
    }
    client.on('close', () => clients.delete(client));
    const start = () => {
      clients.add(client);
      upstream.pipe(client);
      const rate = options.bytesPerSecond ?? Number.POSITIVE_INFINITY;
      throttle(client, upstream, rate);
      client.resume();
    };
    if (!options.hold) start();
    else if (released > 0) {
      released -= 1;
      start();
    } else held.push(start);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const address = server.address();
  return {
    port: typeof address === 'object' && address !== null ? address.port : 0,
    release: () => {
      if (held.length === 0) released += 1;
      for (const start of held.splice(0)) start();
    },
    inject: (bytes) => {
      for (const client of clients) client.write(bytes);
    },
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}
