/**
 * The API port as vLLM holds it while it loads: bound, not listened on. vLLM 0.11
 * (vllm/entrypoints/openai/api_server.py) binds it in `setup_server` through
 * `create_server_socket` (SO_REUSEADDR, SO_REUSEPORT, `sock.bind(addr)`, no `listen()`: "bind
 * the port before the engine is set up", the workaround for vllm-project/vllm#8204), builds the
 * engine in `run_server_worker`, and only then starts uvicorn on that socket (`serve_http(app,
 * sock=sock)`). Meanwhile the kernel refuses every connection (ECONNREFUSED), and a port taken
 * by a listening server fails the start at once.
 *
 * Node has no public bind-without-listen, so the socket is libuv's TCP handle, which
 * `server.listen(handle)` accepts (libuv sets SO_REUSEADDR on bind as vLLM does; SO_REUSEPORT
 * is not set, which only matters to a second server sharing the port on purpose).
 */
import { lookup } from 'node:dns/promises';
import { isIPv6, type Server } from 'node:net';
import { getSystemErrorName } from 'node:util';

/** libuv's TCP handle as `process.binding('tcp_wrap')` gives it: what this module uses of it. */
type TcpHandle = {
  bind(address: string, port: number): number;
  bind6(address: string, port: number, flags: number): number;
  getsockname(out: { port?: number }): number;
  close(): void;
};

type TcpWrap = {
  TCP: new (type: number) => TcpHandle;
  constants: { SERVER: number };
};

const tcpWrap = () =>
  (process as unknown as { binding(name: 'tcp_wrap'): TcpWrap }).binding('tcp_wrap');

export type BoundSocket = {
  /** The port bound (the OS-chosen one for port 0). */
  port: number;
  /** Starts listening: connections are accepted and served by `server` from now on. */
  serve(server: Server): void;
  /** Releases the port if `serve` was never called (a served socket closes with its server). */
  close(): void;
};

/** A libuv status as the error Node's own listen would throw (`bind EADDRINUSE 127.0.0.1:8000`). */
function bindError(status: number, address: string, port: number): Error {
  const code = getSystemErrorName(status);
  return Object.assign(new Error(`bind ${code} ${address}:${port}`), {
    code,
    errno: status,
    syscall: 'bind',
    address,
    port,
  });
}

/** Binds `host:port` (a name is resolved first, as `listen` resolves it) without listening. */
export async function bindApiSocket(host: string, port: number): Promise<BoundSocket> {
  // An empty host is every interface, as vLLM's `sock.bind(("", port))` takes it.
  const address = host === '' ? '0.0.0.0' : (await lookup(host)).address;
  const { TCP, constants } = tcpWrap();
  const handle = new TCP(constants.SERVER);
  const out: { port?: number } = {};
  // libuv defers a bind's EADDRINUSE to listen; the socket's name reports it now.
  const status =
    (isIPv6(address) ? handle.bind6(address, port, 0) : handle.bind(address, port)) ||
    handle.getsockname(out);
  if (status !== 0) {
    handle.close();
    throw bindError(status, address, port);
  }
  let served = false;
  return {
    port: out.port ?? port,
    serve: (server) => {
      served = true;
      server.listen(handle);
    },
    close: () => {
      if (!served) handle.close();
    },
  };
}
