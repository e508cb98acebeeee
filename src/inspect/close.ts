/**
 * Closing a WebSocket within a bound. `ws` waits up to 30 s for the peer to answer a close
 * frame, and a peer that does not read never does: shutdown must not wait on it.
 */
import { WebSocket } from 'ws';

/** Default wait for the peer to answer a close, in ms: 1 000 ms. */
export const CLOSE_WAIT_MS = 1_000;

/** Sends a close frame; resolves once the socket is closed, cutting it off after `waitMs`. */
export function closeWithin(
  socket: WebSocket,
  code: number,
  reason: string,
  waitMs = CLOSE_WAIT_MS,
): Promise<void> {
  if (socket.readyState === WebSocket.CLOSED) return Promise.resolve();
  return new Promise<void>((resolve) => {
    const timer = setTimeout(() => socket.terminate(), waitMs);
    socket.once('close', () => {
      clearTimeout(timer);
      resolve();
    });
    if (socket.readyState === WebSocket.OPEN) socket.close(code, reason);
    else socket.terminate();
  });
}
