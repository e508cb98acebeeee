/**
 * Frames leave through the connection actor, found in the actor system by its system id, so a
 * lease or the gate needs no reference to it.
 */
import type { ActorSystem, ActorSystemInfo, AnyActorRef } from 'xstate';
import type { OutboundFrame, SendFrameEvent } from './types.ts';

export const CONNECTION_ID = 'connection';

/** `sendTo` target: the connection actor. */
export function connectionRef({ system }: { system: ActorSystem<ActorSystemInfo> }): AnyActorRef {
  const connection = system.get(CONNECTION_ID);
  if (connection === undefined) throw new Error(`no actor with system id '${CONNECTION_ID}'`);
  return connection;
}

export function sendFrame(frame: OutboundFrame): SendFrameEvent {
  return { type: 'SEND', frame };
}
