/**
 * The relay behind the status server's /inspect page: browsers connect to /inspect/ws and get
 * the worker's inspection events as Stately inspection events (JSON text frames, the format
 * of @statelyai/inspect's WebSocket inspector), which the page hands to the Stately Inspector.
 *
 * Nothing is converted while no browser is connected. A browser that connects first gets every
 * live actor registered (with its current snapshot), then the events as they happen.
 */
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { createInspector } from '@statelyai/inspect';
import { WebSocket, WebSocketServer } from 'ws';
import type { AnyActorRef, InspectionEvent } from 'xstate';
import type { SlowClients } from '../status/slow-clients.ts';
import { closeWithin } from './close.ts';
import { toJsonText } from './serialize.ts';

type Client = { socket: WebSocket; next: (event: InspectionEvent) => void };

export class InspectionRelay {
  readonly #server = new WebSocketServer({ noServer: true });
  readonly #clients = new Set<Client>();
  readonly #root: () => AnyActorRef | undefined;
  readonly #slow: SlowClients;

  /** `root`: the worker's root actor, once there is one; `slow`: cuts off browsers that do not read. */
  constructor(root: () => AnyActorRef | undefined, slow: SlowClients) {
    this.#root = root;
    this.#slow = slow;
  }

  get clients(): number {
    return this.#clients.size;
  }

  observe(event: InspectionEvent): void {
    for (const client of this.#clients) client.next(event);
  }

  /** Takes over an HTTP upgrade request for the relay's WebSocket. */
  upgrade(request: IncomingMessage, socket: Duplex, head: Buffer): void {
    this.#server.handleUpgrade(request, socket, head, (ws) => this.#connected(ws));
  }

  /** Closes every browser's socket; one that does not answer the close is cut off. */
  async close(): Promise<void> {
    const sockets = [...this.#clients].map((client) => client.socket);
    this.#clients.clear();
    this.#server.close();
    await Promise.all(sockets.map((socket) => closeWithin(socket, 1001, 'worker stopped')));
  }

  #connected(socket: WebSocket): void {
    const inspector = createInspector({
      send: (event) => {
        if (socket.readyState !== WebSocket.OPEN) return;
        if (this.#slow.tooSlow('websocket', '/inspect/ws', socket.bufferedAmount)) {
          this.#clients.delete(client);
          socket.terminate();
        } else socket.send(toJsonText(event));
      },
    });
    const client: Client = { socket, next: (event) => inspector.inspect.next?.(event) };
    socket.on('close', () => this.#clients.delete(client));
    socket.on('error', () => socket.terminate());
    const root = this.#root();
    if (root !== undefined) {
      for (const actorRef of liveActors(root)) {
        client.next({ type: '@xstate.actor', actorRef, rootId: root.sessionId });
      }
    }
    this.#clients.add(client);
  }
}

/** The root and every descendant that is still running, parents before children. */
function liveActors(root: AnyActorRef): AnyActorRef[] {
  const found: AnyActorRef[] = [];
  const walk = (actor: AnyActorRef) => {
    found.push(actor);
    const snapshot = actor.getSnapshot() as { children?: Record<string, AnyActorRef | undefined> };
    for (const child of Object.values(snapshot.children ?? {})) if (child) walk(child);
  };
  walk(root);
  return found;
}
