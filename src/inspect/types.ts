import type { InspectionEvent } from 'xstate';

/** Somewhere inspection events go: the Sky inspector, a WebSocket inspector, the relay. */
export type InspectionSink = {
  /** Called for every inspection event of every actor; never throws, returns at once. */
  observe(event: InspectionEvent): void;
  /** Sends what is still queued (when it can), then lets go of sockets and timers. */
  stop(): Promise<void>;
};
