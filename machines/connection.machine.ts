/**
 * The queue connection: one per worker. Owns the socket's lifecycle (connect with the bearer
 * header, register, keep-alive, back off and reconnect, close), the outbox of results that
 * could not be sent while the socket was down, and their delivery at shutdown.
 *
 * A result counts as delivered once a pong confirms it: while results are unconfirmed, one
 * ping is in flight, and its pong confirms everything sent before it (one ordered stream). A
 * dropped link re-sends what the last round trip held, never more.
 *
 * The socket itself is the `socket` actor (src/connection/socket.ts); it reports SOCKET_* and
 * FRAME_* events and accepts TRANSMIT, PING and CLOSE.
 */
import { type AnyActorRef, assign, or, raise, sendParent, setup } from 'xstate';
import { DEFAULTS } from './defaults.ts';
import {
  type Held,
  isOutcome,
  jobIdOf,
  requeue,
  requeueDrops,
  type Standing,
  standingAfter,
  stash,
  undelivered,
} from './outbox.ts';
import { actionNotProvided, callbackNotProvided } from './placeholders.ts';
import type { FrameRejection, LogParams, OutboundFrame, QueueFrame } from './types.ts';

export type ConnectionInput = {
  /** Advertised in `register`. */
  workerId: string;
  configId: string;
  capacity: number;
  /** Results kept while offline before the oldest is dropped (and logged). Default 10 000. */
  outboxLimit?: number;
};

/**
 * How far the worker's shutdown has come, as the delivery of results sees it: `running` (no
 * STOP yet, and the grace period, if shutdown began, not over), `delivering` (STOP came within
 * the grace period: close once the queue has confirmed every result), `late` (the grace period
 * is over: a STOP closes at once).
 */
export type Shutdown = 'running' | 'delivering' | 'late';

export type ConnectionContext = Held & {
  workerId: string;
  configId: string;
  capacity: number;
  /** The next reconnect waits this long (plus 0–30 % jitter): 1 s doubling to 60 s. */
  backoffMs: number;
  /** Registrations so far: 1 after the first connect, 2 after the first reconnect. */
  connections: number;
  standing: Standing;
  /** How many of `unconfirmed` were sent before the ping now in flight. */
  pingMark: number;
  shutdown: Shutdown;
};

export type ConnectionEvent =
  /** From the parent. */
  | { type: 'CONNECT' }
  | { type: 'SEND'; frame: OutboundFrame }
  /** Shutdown began: results may still come, and have until GRACE_PERIOD to reach the queue. */
  | { type: 'GRACE_STARTED' }
  /** The grace period is over (its timer, or a second signal): stop waiting for the queue. */
  | { type: 'GRACE_ENDED' }
  /** Nothing more will be sent: close once every result is confirmed (or the grace ends). */
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
  /** `undelivered`: results the queue may not have (each logged with its job id). */
  | { type: 'CONNECTION_CLOSED'; undelivered: number };

export const INITIAL_BACKOFF_MS = 1_000;
export const MAX_BACKOFF_MS = 60_000;
/** CASOLA_SHUTDOWN_GRACE_PERIOD's default: the worker's wait for jobs, and for their delivery. */
export const GRACE_PERIOD_MS = DEFAULTS.gracePeriodMs;
/** A close frame without an answer: the link died without one (RFC 6455, 7.1.5). */
const ABNORMAL_CLOSURE = 1006;

/**
 * STOP and GRACE_ENDED where the link ends in `end`: at once when the grace period is over or
 * nothing is held for the queue; else the results are delivered first (STOP), or given up on
 * (GRACE_ENDED).
 */
function whenStopping(end: '#connection.closed' | '#connection.linked.closing') {
  return {
    STOP: [
      { guard: or(['late', 'nothingHeld']), target: end },
      { actions: 'deliverBeforeClosing' },
    ],
    GRACE_ENDED: [
      { guard: 'delivering', target: end, actions: 'markLate' },
      { actions: 'markLate' },
    ],
  } as const;
}

/** A result pushed out of the full outbox: the `droppedTotal`-th since the worker started. */
function droppedLog(held: Held, frame: OutboundFrame | undefined, droppedTotal: number): LogParams {
  return {
    level: 'warn',
    message: `outbox full: dropped the oldest of ${held.outboxLimit} results kept while offline`,
    fields: { dropped_total: droppedTotal, job_id: jobIdOf(frame) },
  };
}

function undeliveredLog(frame: OutboundFrame): LogParams {
  const jobId = jobIdOf(frame);
  return {
    level: 'error',
    message: `the ${frame.type} of job ${jobId} was not delivered: the queue did not confirm it before the connection closed`,
    fields: { job_id: jobId, frame_type: frame.type },
  };
}

/**
 * Socket commands go out as direct sends, not `sendTo`: built-in sends are deferred to the end
 * of the transition, and the order on the wire (register first, then the outbox) must hold.
 */
function toSocket(self: AnyActorRef, command: SocketCommand): void {
  // Stryker disable next-line OptionalChaining: only states inside `linked`, where it lives, send
  self.getSnapshot().children.socket?.send(command);
}

/**
 * The link is gone: what no pong confirmed goes back to the outbox, ahead of what waits there;
 * each result that overflows the outbox is logged, as one a SEND pushes out is.
 */
const REQUEUE = [
  {
    type: 'log',
    params: ({ context }: { context: ConnectionContext }) =>
      requeueDrops(context).map((frame, i) =>
        droppedLog(context, frame, context.outboxDropped + i + 1),
      ),
  },
  'requeueUnconfirmed',
] as const;

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
    /** A result sent awaits a pong; a dispatch frame changes what the queue is told again. */
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
    /** The queue answered the close frame, which it read after everything sent before it. */
    confirmAll: assign({ unconfirmed: [], pingMark: 0 }),
    requeueUnconfirmed: assign(({ context }) => ({ ...requeue(context), pingMark: 0 })),
    stash: assign(({ context }, params: { frame: OutboundFrame }) => stash(context, params.frame)),
    ping: ({ self }) => toSocket(self, { type: 'PING' }),
    closeSocket: ({ self }) => toSocket(self, { type: 'CLOSE' }),
    resetBackoff: assign({ backoffMs: INITIAL_BACKOFF_MS }),
    growBackoff: assign({
      backoffMs: ({ context }) => Math.min(context.backoffMs * 2, MAX_BACKOFF_MS),
    }),
    countConnection: assign({ connections: ({ context }) => context.connections + 1 }),
    // Stryker disable next-line StringLiteral: nothing cancels the grace timer by its id
    startGrace: raise({ type: 'GRACE_ENDED' }, { delay: 'GRACE_PERIOD', id: 'grace' }),
    deliverBeforeClosing: assign({ shutdown: 'delivering' as const }),
    markLate: assign({ shutdown: 'late' as const }),
    notifyConnected: sendParent(({ context }) => ({
      type: 'QUEUE_CONNECTED',
      connections: context.connections,
    })),
    notifyDisconnected: sendParent({ type: 'QUEUE_DISCONNECTED' }),
    /** Results lost to a full outbox count as undelivered too (each was logged as dropped). */
    notifyClosed: sendParent(({ context }) => ({
      type: 'CONNECTION_CLOSED',
      undelivered: undelivered(context).length + context.outboxDropped,
    })),
    forwardFrame: sendParent((_, params: { frame: QueueFrame }) => ({
      type: 'QUEUE_FRAME',
      frame: params.frame,
    })),
    forwardRejection: sendParent((_, params: { rejection: FrameRejection }) => ({
      type: 'QUEUE_FRAME_REJECTED',
      rejection: params.rejection,
    })),
    /** One line, or one per result. */
    log: actionNotProvided('connection', 'log') as (
      _: unknown,
      params: LogParams | readonly LogParams[],
    ) => void,
  },
  actors: {
    socket: callbackNotProvided<SocketCommand>('connection', 'socket'),
  },
  guards: {
    hasUnconfirmed: ({ context }) => context.unconfirmed.length > 0,
    /** Keeping this frame pushes the oldest result out of the outbox. */
    outboxFull: ({ context }, params: { frame: OutboundFrame }) =>
      isOutcome(params.frame) && context.outbox.length >= context.outboxLimit,
    delivering: ({ context }) => context.shutdown === 'delivering',
    late: ({ context }) => context.shutdown === 'late',
    /** Nothing is held for the queue: results neither waiting nor unconfirmed. */
    // Stryker disable next-line ArithmeticOperator: where STOP reads it (opening, online, backoff) one of the two is empty: the outbox goes out with the register, unconfirmed results go back to it when the link drops
    nothingHeld: ({ context }) => context.outbox.length + context.unconfirmed.length === 0,
    /** The queue answered the close frame (any close but 1006, which means it did not). */
    answeredClose: (_, params: { code: number }) => params.code !== ABNORMAL_CLOSURE,
  },
  delays: {
    /** A WebSocket ping every 30 s. */
    PING_INTERVAL: 30_000,
    /** No pong within 10 s means the link is dead. */
    PONG_TIMEOUT: 10_000,
    /** The current backoff plus a random jitter of 0–30 % of it. */
    RECONNECT_DELAY: ({ context }) => context.backoffMs * (1 + 0.3 * Math.random()),
    /** How long a clean close waits for the queue's close frame. */
    CLOSE_TIMEOUT: 2_000,
    /** CASOLA_SHUTDOWN_GRACE_PERIOD, from GRACE_STARTED. Default 5 s. */
    GRACE_PERIOD: GRACE_PERIOD_MS,
  },
}).createMachine({
  id: 'connection',
  description:
    "The queue connection: one per worker. Owns the socket's lifecycle (connect with the bearer header, register, keep-alive, back off and reconnect, close), the outbox of results that could not be sent while the socket was down, and their delivery at shutdown.",
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
    // Stryker disable next-line StringLiteral: only 'delivering' and 'late' are ever tested for
    shutdown: 'running',
  }),
  initial: 'idle',
  on: {
    SEND: [
      {
        guard: { type: 'outboxFull', params: ({ event }) => ({ frame: event.frame }) },
        actions: [
          {
            type: 'log',
            params: ({ context }) =>
              droppedLog(context, context.outbox[0], context.outboxDropped + 1),
          },
          { type: 'stash', params: ({ event }) => ({ frame: event.frame }) },
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
    GRACE_STARTED: { actions: 'startGrace' },
    GRACE_ENDED: { actions: 'markLate' },
  },
  states: {
    idle: {
      description: 'Created, not started: nothing on the network yet.',
      on: { CONNECT: 'linked', STOP: 'closed' },
    },
    linked: {
      description: 'A socket exists (opening, open or closing); leaving this state destroys it.',
      invoke: { id: 'socket', src: 'socket' },
      initial: 'opening',
      on: {
        SOCKET_CLOSED: {
          target: 'backoff',
          actions: [
            ...REQUEUE,
            {
              type: 'log',
              // The queue's close code and reason say why (an unknown config, a replaced worker).
              params: ({ event }) => ({
                level: 'warn',
                message: `the queue connection closed (code ${event.code}${event.reason ? `: ${event.reason}` : ''}); reconnecting after a backoff`,
                fields: { code: event.code, reason: event.reason },
              }),
            },
          ],
        },
      },
      states: {
        opening: {
          description: 'The WebSocket handshake (with the bearer header) is in progress.',
          on: {
            SOCKET_OPENED: 'online',
            // Nothing was sent on a socket that never opened: there is nothing to close cleanly.
            ...whenStopping('#connection.closed'),
          },
        },
        online: {
          description: 'Registered: frames flow both ways and jobs may arrive.',
          tags: 'registered',
          entry: ['register', 'outboxSent', 'countConnection', 'resetBackoff', 'notifyConnected'],
          exit: 'notifyDisconnected',
          on: {
            SEND: {
              actions: [
                { type: 'transmit', params: ({ event }) => ({ frame: event.frame }) },
                { type: 'recordSent', params: ({ event }) => ({ frame: event.frame }) },
              ],
            },
            ...whenStopping('#connection.linked.closing'),
          },
          initial: 'quiet',
          states: {
            quiet: {
              description:
                'Nothing awaits confirmation; a keep-alive ping goes out after PING_INTERVAL.',
              always: [
                { guard: 'hasUnconfirmed', target: 'awaitingPong' },
                { guard: 'delivering', target: '#connection.linked.closing' },
              ],
              after: { PING_INTERVAL: 'awaitingPong' },
            },
            awaitingPong: {
              description:
                'A ping is out; its pong confirms what was sent before it, and the link is alive.',
              entry: ['markPing', 'ping'],
              on: { PONG: { target: 'quiet', actions: 'confirm' } },
              after: {
                PONG_TIMEOUT: {
                  target: '#connection.backoff',
                  actions: [
                    ...REQUEUE,
                    {
                      type: 'log',
                      params: { level: 'warn', message: 'no pong from the queue: reconnecting' },
                    },
                  ],
                },
              },
            },
          },
        },
        closing: {
          description:
            "The close frame is out, after everything sent; waiting for the queue's answer.",
          entry: 'closeSocket',
          on: {
            SOCKET_CLOSED: [
              {
                guard: { type: 'answeredClose', params: ({ event }) => event },
                target: '#connection.closed',
                actions: 'confirmAll',
              },
              { target: '#connection.closed' },
            ],
          },
          after: { CLOSE_TIMEOUT: '#connection.closed' },
        },
      },
    },
    backoff: {
      description:
        'Disconnected: waiting RECONNECT_DELAY before the next attempt. Jobs keep running.',
      on: {
        ...whenStopping('#connection.closed'),
      },
      after: {
        RECONNECT_DELAY: { target: 'linked', actions: 'growBackoff' },
      },
    },
    closed: {
      description: 'Stopped for good; what the queue did not confirm was logged and counted.',
      type: 'final',
      entry: [
        // Each result the queue may not have is named, by job id, before the parent hears of it.
        { type: 'log', params: ({ context }) => undelivered(context).map(undeliveredLog) },
        'notifyClosed',
      ],
    },
  },
});

export type ConnectionMachine = typeof connectionMachine;
