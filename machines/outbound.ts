/**
 * Frames leave through the connection actor, found in the actor system by its system id, so a
 * lease or the gate needs no reference to it.
 */
import type { ActorSystem, ActorSystemInfo, AnyActorRef } from 'xstate';
import type { OutboundFrame, SendFrameEvent } from './types.ts';

export const CONNECTION_ID = 'connection';

/**
 * `sendTo` target: the connection actor. A worker always has one; a machine walked on its own
 * (xstate/graph, unit tests) may not, and xstate then addresses the sender itself, which
 * ignores SEND.
 */
export function connectionRef({ system }: { system: ActorSystem<ActorSystemInfo> }): AnyActorRef {
  return system.get(CONNECTION_ID) as AnyActorRef;
}

export function sendFrame(frame: OutboundFrame): SendFrameEvent {
  return { type: 'SEND', frame };
}
