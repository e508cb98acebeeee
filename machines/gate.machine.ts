/**
 * The gate: one per worker, the authority on dispatch. It admits jobs into capacity slots (or
 * a bounded waiting line), ignores re-deliveries, replaces superseded runs, tells the queue
 * to pause, resume and drain, and reports when the last running job has settled after a drain.
 */
import { assign, sendParent, sendTo, setup } from 'xstate';
import { connectionRef, sendFrame } from './outbound.ts';
import { actionNotProvided } from './placeholders.ts';
import { noRecentJobs, type RecentJobs, recentToken, remember } from './recent-jobs.ts';
import { emptyRecord, entryCount, type JobRecord, withEntry, withoutEntry } from './records.ts';
import type { JobFrame, LogParams } from './types.ts';

/**
 * The gate's system id. Job frames come to it straight from the socket (JOB_OFFERED); the
 * worker relays revocations, backpressure, settlements and the drain.
 */
export const GATE_ID = 'gate';

export type GateInput = {
  /** Jobs run at once; as many more may wait for a slot. */
  capacity: number;
  /** Pause when vLLM's waiting requests exceed this. Default 0. */
  pauseThreshold?: number;
  /** Resume when they fall to this or below. Default 0. */
  resumeThreshold?: number;
  /** Settled jobs remembered to recognise re-deliveries. Default 1 000. */
  memorySize?: number;
};

export type GateContext = {
  capacity: number;
  pauseThreshold: number;
  resumeThreshold: number;
  /** Running jobs: job id → the fence token of the run. */
  running: JobRecord<number>;
  /** Admitted jobs waiting for a slot, oldest first; at most `capacity`. */
  waiting: JobFrame[];
  /** The last `memorySize` settlements (job id → fence token), to recognise re-deliveries. */
  settled: RecentJobs;
  memorySize: number;
};

export type GateEvent =
  | { type: 'JOB_OFFERED'; job: JobFrame }
  | { type: 'JOB_SETTLED'; jobId: string; fenceToken: number }
  /** The queue revoked a job that is not running here: it may still wait for a slot. */
  | { type: 'JOB_REVOKED'; jobId: string }
  | { type: 'BACKPRESSURE_READING'; waiting: number }
  | { type: 'PAUSE_REQUESTED' }
  | { type: 'RESUME_REQUESTED' }
  | { type: 'DRAIN' };

/** What the gate tells its parent. */
export type GateNotice =
  | { type: 'START_JOB'; job: JobFrame }
  | { type: 'SUPERSEDE_JOB'; jobId: string; fenceToken: number }
  | { type: 'REFUSE_JOBS'; jobs: JobFrame[]; reason: 'at_capacity' | 'draining' }
  | { type: 'GATE_DRAINED' };

type OfferParams = { job: JobFrame };

/** A job already running, waiting or settled under this token or a newer one. */
function isRedelivery(context: GateContext, job: JobFrame): boolean {
  const token = job.fence_token;
  const running = context.running[job.job_id];
  const settled = recentToken(context.settled, job.job_id, context.memorySize);
  if (running !== undefined && running >= token) return true;
  if (settled !== undefined && settled >= token) return true;
  return context.waiting.some((w) => w.job_id === job.job_id && w.fence_token >= token);
}

export const gateMachine = setup({
  types: {
    context: {} as GateContext,
    events: {} as GateEvent,
    input: {} as GateInput,
  },
  guards: {
    isRedelivery: ({ context }, params: OfferParams) => isRedelivery(context, params.job),
    supersedesRun: ({ context }, params: OfferParams) => {
      const running = context.running[params.job.job_id];
      return running !== undefined && running < params.job.fence_token;
    },
    hasFreeSlot: ({ context }) => entryCount(context.running) < context.capacity,
    hasWaitingRoom: ({ context }) => context.waiting.length < context.capacity,
    isRunning: ({ context }, params: { jobId: string; fenceToken: number }) =>
      context.running[params.jobId] === params.fenceToken,
    overPauseThreshold: ({ context }, params: { waiting: number }) =>
      params.waiting > context.pauseThreshold,
    atOrBelowResumeThreshold: ({ context }, params: { waiting: number }) =>
      params.waiting <= context.resumeThreshold,
    nothingRunning: ({ context }) => entryCount(context.running) === 0,
    isWaiting: ({ context }, params: { jobId: string }) =>
      context.waiting.some((w) => w.job_id === params.jobId),
    isRunningWithWaiting: ({ context, event }) =>
      event.type === 'JOB_SETTLED' &&
      context.running[event.jobId] === event.fenceToken &&
      context.waiting.length > 0,
  },
  actions: {
    start: assign({
      running: ({ context }, params: OfferParams) =>
        withEntry(context.running, params.job.job_id, params.job.fence_token),
    }),
    notifyStart: sendParent((_, params: OfferParams) => ({ type: 'START_JOB', job: params.job })),
    notifySupersede: sendParent(({ context }, params: OfferParams) => ({
      type: 'SUPERSEDE_JOB',
      jobId: params.job.job_id,
      fenceToken: context.running[params.job.job_id] ?? 0,
    })),
    enqueue: assign({
      waiting: ({ context }, params: OfferParams) => [
        ...context.waiting.filter((w) => w.job_id !== params.job.job_id),
        params.job,
      ],
    }),
    refuseAtCapacity: sendParent((_, params: OfferParams) => ({
      type: 'REFUSE_JOBS',
      jobs: [params.job],
      reason: 'at_capacity',
    })),
    refuseDraining: sendParent((_, params: OfferParams) => ({
      type: 'REFUSE_JOBS',
      jobs: [params.job],
      reason: 'draining',
    })),
    /** Jobs still waiting when the drain begins will never start. */
    refuseWaiting: sendParent(({ context }) => ({
      type: 'REFUSE_JOBS',
      jobs: context.waiting,
      reason: 'draining',
    })),
    clearWaiting: assign({ waiting: [] }),
    /** A revoked job leaves the line, and is remembered so a late copy of its frame is ignored. */
    withdraw: assign(({ context }, params: { jobId: string }) => {
      const revoked = context.waiting.find((w) => w.job_id === params.jobId)!;
      return {
        waiting: context.waiting.filter((w) => w.job_id !== params.jobId),
        settled: remember(context.settled, revoked.job_id, revoked.fence_token, context.memorySize),
      };
    }),
    release: assign(({ context }, params: { jobId: string; fenceToken: number }) => ({
      running: withoutEntry(context.running, params.jobId),
      settled: remember(context.settled, params.jobId, params.fenceToken, context.memorySize),
    })),
    /** A freed slot goes to the oldest waiting job (notified before it leaves the line). */
    notifyStartNext: sendParent(({ context }) => ({ type: 'START_JOB', job: context.waiting[0]! })),
    startNext: assign(({ context }) => {
      const [next, ...rest] = context.waiting;
      if (next === undefined) return {};
      return { waiting: rest, running: withEntry(context.running, next.job_id, next.fence_token) };
    }),
    sendPause: sendTo(connectionRef, sendFrame({ type: 'pause' })),
    sendResume: sendTo(connectionRef, sendFrame({ type: 'resume' })),
    sendDrain: sendTo(connectionRef, sendFrame({ type: 'drain' })),
    notifyDrained: sendParent({ type: 'GATE_DRAINED' }),
    log: actionNotProvided('gate', 'log') as (_: unknown, params: LogParams) => void,
  },
}).createMachine({
  id: 'gate',
  context: ({ input }) => ({
    capacity: input.capacity,
    pauseThreshold: input.pauseThreshold ?? 0,
    resumeThreshold: input.resumeThreshold ?? 0,
    running: emptyRecord(),
    waiting: [],
    settled: noRecentJobs,
    memorySize: input.memorySize ?? 1_000,
  }),
  initial: 'accepting',
  on: {
    JOB_OFFERED: [
      {
        guard: { type: 'isRedelivery', params: ({ event }) => ({ job: event.job }) },
        actions: {
          type: 'log',
          params: ({ event }) => ({
            level: 'info',
            message: 're-delivered job ignored: it already ran or runs under this fence token',
            fields: { job_id: event.job.job_id, fence_token: event.job.fence_token },
          }),
        },
      },
      {
        guard: { type: 'supersedesRun', params: ({ event }) => ({ job: event.job }) },
        actions: [
          { type: 'notifySupersede', params: ({ event }) => ({ job: event.job }) },
          { type: 'start', params: ({ event }) => ({ job: event.job }) },
          { type: 'notifyStart', params: ({ event }) => ({ job: event.job }) },
        ],
      },
      {
        guard: 'hasFreeSlot',
        actions: [
          { type: 'start', params: ({ event }) => ({ job: event.job }) },
          { type: 'notifyStart', params: ({ event }) => ({ job: event.job }) },
        ],
      },
      {
        guard: 'hasWaitingRoom',
        actions: { type: 'enqueue', params: ({ event }) => ({ job: event.job }) },
      },
      { actions: { type: 'refuseAtCapacity', params: ({ event }) => ({ job: event.job }) } },
    ],
    JOB_SETTLED: [
      {
        guard: 'isRunningWithWaiting',
        actions: [
          { type: 'release', params: ({ event }) => event },
          'notifyStartNext',
          'startNext',
        ],
      },
      {
        guard: { type: 'isRunning', params: ({ event }) => event },
        actions: { type: 'release', params: ({ event }) => event },
      },
    ],
    JOB_REVOKED: [
      {
        guard: { type: 'isWaiting', params: ({ event }) => event },
        actions: [
          { type: 'withdraw', params: ({ event }) => event },
          {
            type: 'log',
            params: ({ event }) => ({
              level: 'info',
              message: 'revoked job removed from the waiting line: it will not run',
              fields: { job_id: event.jobId },
            }),
          },
        ],
      },
      {
        actions: {
          type: 'log',
          params: ({ event }) => ({
            level: 'info',
            message: 'revocation for a job not running here: nothing to stop',
            fields: { job_id: event.jobId },
          }),
        },
      },
    ],
    DRAIN: '.draining',
  },
  states: {
    /** Dispatch is open. */
    accepting: {
      on: {
        BACKPRESSURE_READING: {
          guard: { type: 'overPauseThreshold', params: ({ event }) => event },
          target: 'paused',
        },
        PAUSE_REQUESTED: 'paused',
      },
    },
    /** The queue was told `pause` (vLLM is backed up); jobs it sent before that still run. */
    paused: {
      entry: 'sendPause',
      on: {
        BACKPRESSURE_READING: {
          guard: { type: 'atOrBelowResumeThreshold', params: ({ event }) => event },
          target: 'accepting',
          actions: 'sendResume',
        },
        RESUME_REQUESTED: { target: 'accepting', actions: 'sendResume' },
      },
    },
    /** Shutting down: `drain` is sent, no job starts, running jobs finish. */
    draining: {
      entry: ['sendDrain', 'refuseWaiting', 'clearWaiting'],
      always: { guard: 'nothingRunning', target: 'drained' },
      on: {
        JOB_OFFERED: {
          actions: { type: 'refuseDraining', params: ({ event }) => ({ job: event.job }) },
        },
        JOB_SETTLED: {
          guard: { type: 'isRunning', params: ({ event }) => event },
          actions: { type: 'release', params: ({ event }) => event },
        },
        DRAIN: {},
      },
    },
    /** Drained: nothing runs and nothing will start. */
    drained: {
      entry: 'notifyDrained',
      on: {
        JOB_OFFERED: {
          actions: { type: 'refuseDraining', params: ({ event }) => ({ job: event.job }) },
        },
        DRAIN: { actions: 'notifyDrained' },
      },
    },
  },
});

export type GateMachine = typeof gateMachine;
