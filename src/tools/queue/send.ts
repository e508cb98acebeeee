/**
 * The one outbound path: every frame to a worker is encoded from the protocol schemas,
 * passes the injected delay/duplicate faults, and is logged as it leaves.
 */
import { WebSocket } from 'ws';
import { encodeQueueFrame, type QueueFrame } from '../../protocol/index.ts';
import type { EventLog } from './event-log.ts';
import type { QueueConnection } from './workers.ts';

/** What the fault injector decides for the next frame to a worker. */
export type OutboundFault = {
  /** Milliseconds to hold the frame back; 0 sends it now. */
  delayMs: number;
  /** How many times to send it: 1, or 2 when duplicated. */
  copies: number;
};

/** The narrow part of the fault injector the sender needs. */
export type OutboundFaults = {
  nextOutbound(workerId: string | undefined): OutboundFault;
};

export class FrameSender {
  readonly #events: EventLog;
  readonly #faults: OutboundFaults;
  readonly #delayed = new Set<NodeJS.Timeout>();

  constructor(events: EventLog, faults: OutboundFaults) {
    this.#events = events;
    this.#faults = faults;
  }

  send(connection: QueueConnection, frame: QueueFrame): void {
    const raw = encodeQueueFrame(frame);
    const fault = this.#faults.nextOutbound(connection.workerId);
    const transmit = () => {
      for (let copy = 0; copy < fault.copies; copy += 1) this.#write(connection, frame, raw);
    };
    if (fault.delayMs <= 0) {
      transmit();
      return;
    }
    const timer = setTimeout(() => {
      this.#delayed.delete(timer);
      transmit();
    }, fault.delayMs);
    this.#delayed.add(timer);
  }

  /** Drops frames still held back by a delay fault (the queue is closing). */
  cancelDelayed(): void {
    for (const timer of this.#delayed) clearTimeout(timer);
    this.#delayed.clear();
  }

  #write(connection: QueueConnection, frame: QueueFrame, raw: string): void {
    // A frame for a socket that closed meanwhile is lost, as it would be in production.
    if (connection.ws.readyState !== WebSocket.OPEN) return;
    connection.ws.send(raw);
    this.#events.record({
      kind: 'frame_out',
      connectionId: connection.id,
      workerId: connection.workerId,
      frame,
      raw,
    });
  }
}
