/**
 * The queue connection: one per worker. Owns the socket's lifecycle (connect with the bearer
 * header, register, keep-alive, back off and reconnect, close) and the outbox of results that
 * could not be sent while the socket was down.
 *
 * The socket itself is the `socket` actor (src/connection/socket.ts); it reports SOCKET_* and
 * FRAME_* events and accepts TRANSMIT, PING and CLOSE.
 */
import { type AnyActorRef, assign, not, sendParent, setup } from 'xstate';
import { actionNotProvided, callbackNotProvided } from './placeholders.ts';
import type { FrameRejection, LogParams, OutboundFrame, QueueFrame } from './types.ts';

export type ConnectionInput = {
  /** Advertised in `register`. */
  workerId: string;
  configId: string;
  capacity: number;
  /** Results kept while offline before the oldest is dropped (and logged). Default 10 000. */
  outboxLimit?: number;
  /** Unconfirmed results that send a confirmation ping at once. Default 256. */
  confirmBatch?: number;
};

export type ConnectionContext = {
  workerId: string;
  configId: string;
  capacity: number;
  /** The next reconnect waits this long (plus 0–30 % jitter): 1 s doubling to 60 s. */
  backoffMs: number;
  /** Registrations so far: 1 after the first connect, 2 after the first reconnect. */
  connections: number;
  /** Results and errors produced while offline, in order; sent right after the next register. */
  outbox: OutboundFrame[];
  outboxLimit: number;
  /** Results dropped because the outbox was full. */
  outboxDropped: number;
  /** The dispatch standing the queue must be told again after every register. */
  standing: 'pause' | 'drain' | undefined;
  /**
   * Results sent on the current socket that no pong has confirmed yet. A pong proves that
   * everything sent before its ping arrived (one ordered stream); if the link dies first,
   * these go back to the outbox. The queue refuses a second outcome, so a resend is safe.
   */
  unconfirmed: OutboundFrame[];
  /** How many of `unconfirmed` were sent before the ping now in flight. */
  pingMark: number;
  confirmBatch: number;
};

export type ConnectionEvent =
  /** From the parent. */
  | { type: 'CONNECT' }
  | { type: 'SEND'; frame: OutboundFrame }
  | { type: 'STOP' }
  /** From the socket actor. */
  | { type: 'SOCKET_OPENED' }
  | { type: 'SOCKET_CLOSED'; code: number; reason: string }
  | { type: 'PONG' }
  | { type: 'FRAME_RECEIVED'; frame: QueueFrame }
  | { type: 'FRAME_REJECTED'; rejection: FrameRejection };

/** What the connection asks of its socket actor. */
export type SocketCommand =
  | { type: 'TRANSMIT'; frame: OutboundFrame }
  | { type: 'PING' }
  | { type: 'CLOSE' };

/** What the connection tells its parent. */
export type ConnectionNotice =
  | { type: 'QUEUE_CONNECTED'; connections: number }
  | { type: 'QUEUE_DISCONNECTED' }
  | { type: 'QUEUE_FRAME'; frame: QueueFrame }
  | { type: 'QUEUE_FRAME_REJECTED'; rejection: FrameRejection }
  | { type: 'CONNECTION_CLOSED'; undelivered: number };

const CONFIRM_BATCH = 256;

export const INITIAL_BACKOFF_MS = 1_000;
export const MAX_BACKOFF_MS = 60_000;

/** Frames a job produced: they wait in the outbox. Renewals and dispatch frames do not. */
export function isOutcome(frame: OutboundFrame): boolean {
  return (
    frame.type === 'job_result' || frame.type === 'job_result_ref' || frame.type === 'job_error'
  );
}

function standingAfter(
  standing: ConnectionContext['standing'],
  frame: OutboundFrame,
): ConnectionContext['standing'] {
  if (frame.type === 'drain') return 'drain';
  if (standing === 'drain') return standing;
  if (frame.type === 'pause') return 'pause';
  if (frame.type === 'resume') return undefined;
  return standing;
}

function stash(context: ConnectionContext, frame: OutboundFrame): Partial<ConnectionContext> {
  if (!isOutcome(frame)) return { standing: standingAfter(context.standing, frame) };
  const outbox = [...context.outbox, frame];
  const overflow = Math.max(0, outbox.length - context.outboxLimit);
  return {
    outbox: overflow > 0 ? outbox.slice(overflow) : outbox,
    outboxDropped: context.outboxDropped + overflow,
  };
}

/**
 * Socket commands go out as direct sends, not `sendTo`: built-in sends are deferred to the end
 * of the transition, and the order on the wire (register first, then the outbox) must hold.
 */
function toSocket(self: AnyActorRef, command: SocketCommand): void {
  self.getSnapshot().children.socket?.send(command);
}

export const connectionMachine = setup({
  types: {
    context: {} as ConnectionContext,
    events: {} as ConnectionEvent,
    input: {} as ConnectionInput,
  },
  actions: {
    /** Puts a frame on the wire (the socket actor encodes it). */
    transmit: ({ self }, params: { frame: OutboundFrame }) => {
      toSocket(self, { type: 'TRANSMIT', frame: params.frame });
    },
    /**
     * The first frame on every connection. The queue forgets pause and drain on a new
     * registration, so tell it again; then send what jobs produced while the socket was down.
     */
    register: ({ context, self }) => {
      const { workerId, configId, capacity, standing, outbox } = context;
      toSocket(self, {
        type: 'TRANSMIT',
        frame: { type: 'register', worker_id: workerId, config_id: configId, capacity },
      });
      if (standing !== undefined) toSocket(self, { type: 'TRANSMIT', frame: { type: standing } });
      for (const frame of outbox) toSocket(self, { type: 'TRANSMIT', frame });
    },
    /** The outbox went out with the register: it is unconfirmed now. */
    outboxSent: assign(({ context }) => ({ unconfirmed: context.outbox, outbox: [], pingMark: 0 })),
    /**
     * A result sent awaits confirmation (a confirmation ping goes out every `confirmBatch`
     * results, which bounds this copy); a dispatch frame changes what the queue is told again
     * after every register.
     */
    recordSent: assign(({ context }, params: { frame: OutboundFrame }) =>
      isOutcome(params.frame)
        ? { unconfirmed: [...context.unconfirmed, params.frame] }
        : { standing: standingAfter(context.standing, params.frame) },
    ),
    markPing: assign({ pingMark: ({ context }) => context.unconfirmed.length }),
    confirm: assign({
      unconfirmed: ({ context }) => context.unconfirmed.slice(context.pingMark),
      pingMark: 0,
    }),
    /** The link is gone: what no pong confirmed goes out again after the next register. */
    requeueUnconfirmed: assign(({ context }) => {
      const outbox = [...context.unconfirmed, ...context.outbox];
      const overflow = Math.max(0, outbox.length - context.outboxLimit);
      return {
        outbox: overflow > 0 ? outbox.slice(overflow) : outbox,
        outboxDropped: context.outboxDropped + overflow,
        unconfirmed: [],
        pingMark: 0,
      };
    }),
    stash: assign(({ context }, params: { frame: OutboundFrame }) => stash(context, params.frame)),
    ping: ({ self }) => toSocket(self, { type: 'PING' }),
    closeSocket: ({ self }) => toSocket(self, { type: 'CLOSE' }),
    resetBackoff: assign({ backoffMs: INITIAL_BACKOFF_MS }),
    growBackoff: assign({
      backoffMs: ({ context }) => Math.min(context.backoffMs * 2, MAX_BACKOFF_MS),
    }),
    countConnection: assign({ connections: ({ context }) => context.connections + 1 }),
    notifyConnected: sendParent(({ context }) => ({
      type: 'QUEUE_CONNECTED',
      connections: context.connections,
    })),
    notifyDisconnected: sendParent({ type: 'QUEUE_DISCONNECTED' }),
    notifyClosed: sendParent(({ context }) => ({
      type: 'CONNECTION_CLOSED',
      undelivered: context.outbox.length,
    })),
    forwardFrame: sendParent((_, params: { frame: QueueFrame }) => ({
      type: 'QUEUE_FRAME',
      frame: params.frame,
    })),
    forwardRejection: sendParent((_, params: { rejection: FrameRejection }) => ({
      type: 'QUEUE_FRAME_REJECTED',
      rejection: params.rejection,
    })),
    log: actionNotProvided('connection', 'log') as (_: unknown, params: LogParams) => void,
  },
  actors: {
    socket: callbackNotProvided<SocketCommand>('connection', 'socket'),
  },
  guards: {
    isOutcome: (_, params: { frame: OutboundFrame }) => isOutcome(params.frame),
    hasUnconfirmed: ({ context }) => context.unconfirmed.length > 0,
    /** Enough unconfirmed results to ask for a confirmation now. */
    unconfirmedFull: ({ context }) => context.unconfirmed.length >= context.confirmBatch,
    /** Keeping this frame pushes the oldest result out of the outbox. */
    outboxFull: ({ context }, params: { frame: OutboundFrame }) =>
      isOutcome(params.frame) && context.outbox.length >= context.outboxLimit,
  },
  delays: {
    /** How long a sent result waits before a ping confirms it. */
    CONFIRM_DELAY: 250,
    /** A WebSocket ping every 30 s. */
    PING_INTERVAL: 30_000,
    /** No pong within 10 s means the link is dead. */
    PONG_TIMEOUT: 10_000,
    /** The current backoff plus a random jitter of 0–30 % of it. */
    RECONNECT_DELAY: ({ context }) => context.backoffMs * (1 + 0.3 * Math.random()),
    /** How long a clean close waits for the queue's close frame. */
    CLOSE_TIMEOUT: 2_000,
  },
}).createMachine({
  id: 'connection',
  context: ({ input }) => ({
    workerId: input.workerId,
    configId: input.configId,
    capacity: input.capacity,
    backoffMs: INITIAL_BACKOFF_MS,
    connections: 0,
    outbox: [],
    outboxLimit: input.outboxLimit ?? 10_000,
    outboxDropped: 0,
    standing: undefined,
    unconfirmed: [],
    pingMark: 0,
    confirmBatch: input.confirmBatch ?? CONFIRM_BATCH,
  }),
  initial: 'idle',
  on: {
    SEND: [
      {
        guard: { type: 'outboxFull', params: ({ event }) => ({ frame: event.frame }) },
        actions: [
          { type: 'stash', params: ({ event }) => ({ frame: event.frame }) },
          {
            type: 'log',
            params: ({ context }) => ({
              level: 'warn',
              message: `outbox full: dropped the oldest of ${context.outboxLimit} results kept while offline`,
              fields: { dropped_total: context.outboxDropped },
            }),
          },
        ],
      },
      { actions: { type: 'stash', params: ({ event }) => ({ frame: event.frame }) } },
    ],
    FRAME_RECEIVED: {
      actions: { type: 'forwardFrame', params: ({ event }) => ({ frame: event.frame }) },
    },
    FRAME_REJECTED: {
      actions: {
        type: 'forwardRejection',
        params: ({ event }) => ({ rejection: event.rejection }),
      },
    },
  },
  states: {
    /** Created, not started: nothing on the network yet. */
    idle: {
      on: { CONNECT: 'linked', STOP: 'closed' },
    },
    /** A socket exists (opening, open or closing); leaving this state destroys it. */
    linked: {
      invoke: { id: 'socket', src: 'socket' },
      initial: 'opening',
      on: {
        SOCKET_CLOSED: {
          target: 'backoff',
          actions: {
            type: 'log',
            // The queue's close code and reason say why (an unknown config, a replaced worker).
            params: ({ event }) => ({
              level: 'warn',
              message: `the queue connection closed (code ${event.code}${event.reason ? `: ${event.reason}` : ''}); reconnecting after a backoff`,
              fields: { code: event.code, reason: event.reason },
            }),
          },
        },
        STOP: '.closing',
      },
      states: {
        /** The WebSocket handshake (with the bearer header) is in progress. */
        opening: {
          on: { SOCKET_OPENED: 'online' },
        },
        /** Registered: frames flow both ways and jobs may arrive. */
        online: {
          entry: ['register', 'outboxSent', 'countConnection', 'resetBackoff', 'notifyConnected'],
          exit: ['requeueUnconfirmed', 'notifyDisconnected'],
          on: {
            SEND: {
              actions: [
                { type: 'transmit', params: ({ event }) => ({ frame: event.frame }) },
                { type: 'recordSent', params: ({ event }) => ({ frame: event.frame }) },
              ],
            },
          },
          initial: 'confirming',
          states: {
            /** Nothing awaits confirmation; a keep-alive ping goes out after PING_INTERVAL. */
            quiet: {
              on: {
                SEND: {
                  guard: { type: 'isOutcome', params: ({ event }) => event },
                  target: 'confirming',
                  actions: [
                    { type: 'transmit', params: ({ event }) => ({ frame: event.frame }) },
                    { type: 'recordSent', params: ({ event }) => ({ frame: event.frame }) },
                  ],
                },
              },
              after: { PING_INTERVAL: 'awaitingPong' },
            },
            /** Results went out; a ping will confirm them after CONFIRM_DELAY (or a full batch). */
            confirming: {
              always: [
                { guard: 'unconfirmedFull', target: 'awaitingPong' },
                { guard: not('hasUnconfirmed'), target: 'quiet' },
              ],
              after: { CONFIRM_DELAY: 'awaitingPong' },
            },
            /** A ping is out; its pong confirms what was sent before it, and the link is alive. */
            awaitingPong: {
              entry: ['markPing', 'ping'],
              on: { PONG: { target: 'confirming', actions: 'confirm' } },
              after: {
                PONG_TIMEOUT: {
                  target: '#connection.backoff',
                  actions: {
                    type: 'log',
                    params: { level: 'warn', message: 'no pong from the queue: reconnecting' },
                  },
                },
              },
            },
          },
        },
        /** Stopping: the close frame is out; waiting for the queue's. */
        closing: {
          entry: 'closeSocket',
          on: { SOCKET_CLOSED: '#connection.closed' },
          after: { CLOSE_TIMEOUT: '#connection.closed' },
        },
      },
    },
    /** Disconnected: waiting RECONNECT_DELAY before the next attempt. Jobs keep running. */
    backoff: {
      on: { STOP: 'closed' },
      after: {
        RECONNECT_DELAY: { target: 'linked', actions: 'growBackoff' },
      },
    },
    /** Stopped for good; anything left in the outbox was not delivered. */
    closed: {
      type: 'final',
      entry: 'notifyClosed',
    },
  },
});

export type ConnectionMachine = typeof connectionMachine;
