/**
 * The gate: one per worker, the owner of running jobs. It admits jobs into capacity slots (or
 * a bounded waiting line), ignores re-deliveries, replaces superseded runs, runs each job as
 * its child `job:<job id>` (job.machine.ts; a transient one light-job.ts), hears their ends,
 * answers every job that will not run, tells the queue to pause, resume and drain, and reports
 * when the last running job has ended after a drain. Its context holds the only record of
 * running jobs.
 */
import { assign, emit, sendParent, sendTo, setup, stopChild } from 'xstate';
import { DEFAULTS } from './defaults.ts';
import {
  type EndArgs,
  type GateContext,
  type GateEvent,
  type GateInput,
  type GateNotice,
  isRedelivery,
  type OfferEvent,
  type OfferParams,
  type RejectedJob,
  reportOfEnd,
  reportOfSuperseded,
} from './gate.types.ts';
import { jobMachine } from './job.machine.ts';
import { jobActorId } from './job-actors.ts';
import { lightJobLogic } from './light-job.ts';
import { connectionRef, sendFrame } from './outbound.ts';
import { actionNotProvided, lightWorkNotProvided } from './placeholders.ts';
import { noRecentJobs, remember } from './recent-jobs.ts';
import { emptyRecord, entryCount, withEntry, withoutEntry } from './records.ts';
import { type RefusalReason, refusalLog, refusals, rejectionLog } from './refusals.ts';

export type { GateContext, GateEvent, GateInput, GateNotice } from './gate.types.ts';

import { endLog, type JobEndedReport, startLog, withRun } from './running-jobs.ts';
import type { JobCommand, JobFrame, LogParams } from './types.ts';

/** The gate's system id: job frames and revocations come to it straight from the socket. */
export const GATE_ID = 'gate';

type Refusal = { jobs: readonly JobFrame[]; reason: RefusalReason };
type Spawn = (
  src: 'job' | 'lightJob',
  options: { id: string; input: { job: JobFrame } },
) => unknown;

/**
 * A job runs as the gate's child, keyed by its id: a persisted one as the job machine, a
 * transient one as the light actor that runs the job machine's own rules (light-job.ts).
 */
function spawnJob(spawn: Spawn, job: JobFrame): void {
  spawn(job.mode === 'persisted' ? 'job' : 'lightJob', {
    id: jobActorId(job.job_id),
    input: { job },
  });
}
const offered = ({ event }: { event: OfferEvent }) => ({ job: event.job });

/** What the gate does when a run ends: logs it, tells listeners, forgets it, stops it. */
const END_ACTIONS = [
  { type: 'log', params: (args: EndArgs) => endLog(reportOfEnd(args)) },
  { type: 'emitEnded', params: reportOfEnd },
  { type: 'release', params: ({ event }: EndArgs) => event },
  { type: 'stopJob', params: ({ event }: EndArgs) => event },
] as const;

/** An offered job starts: said at debug level, then recorded and spawned. */
const START_OFFERED = [
  { type: 'log', params: ({ event }: { event: OfferEvent }) => startLog(event.job) },
  { type: 'startOffered', params: offered },
] as const;

/** The waiting jobs that fit the free slots, oldest first. */
const startable = (context: GateContext) =>
  context.waiting.slice(0, Math.max(context.capacity - entryCount(context.running), 0));

/** On recovery, the waiting jobs that fit start, each said at debug level. */
const START_WAITING = [
  {
    type: 'log',
    params: ({ context }: { context: GateContext }) => startable(context).map(startLog),
  },
  'startWaiting',
] as const;

/** A job offered while the gate does not admit any will not run. */
function refuseOffered(reason: RefusalReason) {
  return [
    { type: 'log', params: ({ event }: { event: OfferEvent }) => refusalLog(event.job, reason) },
    {
      type: 'sendRefusals',
      params: ({ event }: { event: OfferEvent }) => ({ jobs: [event.job], reason }),
    },
  ] as const;
}
const REFUSE_DRAINING = refuseOffered('draining');

/** A job the gate has seen under this token or a newer one is not run again. */
const IGNORE_REDELIVERY = {
  guard: { type: 'isRedelivery', params: offered },
  actions: {
    type: 'log',
    params: ({ event }: { event: OfferEvent }) => ({
      level: 'info' as const,
      message: 're-delivered job ignored: it already ran or runs under this fence token',
      fields: { job_id: event.job.job_id, fence_token: event.job.fence_token },
    }),
  },
} as const;

export const gateMachine = setup({
  types: {
    context: {} as GateContext,
    events: {} as GateEvent,
    input: {} as GateInput,
    emitted: {} as JobEndedReport,
  },
  actors: { job: jobMachine, lightJob: lightJobLogic(lightWorkNotProvided('gate', 'lightJob')) },
  guards: {
    isRedelivery: ({ context }, params: OfferParams) => isRedelivery(context, params.job),
    /** Taken after isRedelivery: a run of the job that runs here has an older token. */
    supersedesRun: ({ context }, params: OfferParams) => params.job.job_id in context.running,
    hasFreeSlot: ({ context }) => entryCount(context.running) < context.capacity,
    hasWaitingRoom: ({ context }) => context.waiting.length < context.capacity,
    isCurrentRun: ({ context }, params: { jobId: string; fenceToken: number }) =>
      context.running[params.jobId]?.fenceToken === params.fenceToken,
    isCurrentRunWithWaiting: ({ context }, params: { jobId: string; fenceToken: number }) =>
      context.running[params.jobId]?.fenceToken === params.fenceToken && context.waiting.length > 0,
    isRunningJob: ({ context }, params: { jobId: string }) => params.jobId in context.running,
    overPauseThreshold: ({ context }, params: { waiting: number }) =>
      params.waiting > context.pauseThreshold,
    atOrBelowResumeThreshold: ({ context }, params: { waiting: number }) =>
      params.waiting <= context.resumeThreshold,
    nothingRunning: ({ context }) => entryCount(context.running) === 0,
    isWaiting: ({ context }, params: { jobId: string }) =>
      context.waiting.some((w) => w.job_id === params.jobId),
  },
  actions: {
    /**
     * The offered job runs as the gate's child, keyed by its id, and is recorded: one assign,
     * so one snapshot per start rather than one for the record and one for the spawn.
     */
    startOffered: assign(({ context, spawn }, params: OfferParams) => {
      spawnJob(spawn as Spawn, params.job);
      return { running: withRun(context.running, params.job) };
    }),
    /** Waiting jobs start, oldest first, into the slots that came free while vLLM was unhealthy. */
    startWaiting: assign(({ context, spawn }) => {
      const starting = startable(context);
      let running = context.running;
      for (const job of starting) {
        spawnJob(spawn as Spawn, job);
        running = withRun(running, job);
      }
      return { running, waiting: context.waiting.slice(starting.length) };
    }),
    /** The oldest waiting job runs, and leaves the line. */
    startNext: assign(({ context, spawn }) => {
      const [next, ...rest] = context.waiting;
      spawnJob(spawn as Spawn, next!);
      return { waiting: rest, running: withRun(context.running, next!) };
    }),
    command: sendTo(
      (_, params: { jobId: string; command: JobCommand }) => jobActorId(params.jobId),
      (_, params: { jobId: string; command: JobCommand }) => params.command,
    ),
    /** Runs told to end: they still run until their end comes back. */
    markEnding: assign({
      running: ({ context }, params: { jobIds: string[] }) => {
        let running = context.running;
        for (const jobId of params.jobIds) {
          running = withEntry(running, jobId, { ...running[jobId]!, ending: true });
        }
        return running;
      },
    }),
    /**
     * vLLM stayed unhealthy: a transient job fails with `message`; a persisted one is cut off
     * as at shutdown, with its own reason (nothing sent, no more renewals), so its lease
     * expires and the queue re-dispatches it.
     */
    abandonAll: ({ context, self }, params: { message: string }) => {
      const children = self.getSnapshot().children as Record<string, { send(e: JobCommand): void }>;
      for (const [jobId, run] of Object.entries(context.running)) {
        children[jobActorId(jobId)]?.send(
          run.mode === 'persisted'
            ? { type: 'JOB_INTERRUPTED', reason: 'engine_unhealthy' }
            : { type: 'JOB_FAILED', message: params.message },
        );
      }
    },
    /** One command to every running job (direct sends: their order does not matter). */
    commandAll: ({ context, self }, params: { command: JobCommand }) => {
      const children = self.getSnapshot().children as Record<string, { send(e: JobCommand): void }>;
      for (const jobId in context.running) children[jobActorId(jobId)]?.send(params.command);
    },
    /** The run leaves the record, remembered so that a re-delivery is recognised. */
    release: assign(({ context }, params: { jobId: string; fenceToken: number }) => ({
      running: withoutEntry(context.running, params.jobId),
      settled: remember(context.settled, params.jobId, params.fenceToken, context.memorySize),
    })),
    stopJob: stopChild((_, params: { jobId: string }) => jobActorId(params.jobId)),
    emitEnded: emit((_, params: JobEndedReport) => params),
    enqueue: assign({
      waiting: ({ context }, params: OfferParams) => [
        ...context.waiting.filter((w) => w.job_id !== params.job.job_id),
        params.job,
      ],
    }),
    /** Transient jobs that will never run are answered; persisted ones are left to their lease. */
    sendRefusals: ({ system }, params: Refusal) => {
      const connection = connectionRef({ system });
      for (const job of params.jobs) {
        if (job.mode === 'transient') {
          connection?.send(sendFrame(refusals.jobError(job.job_id, params.reason)));
        }
      }
    },
    answerInvalidJob: sendTo(connectionRef, (_, params: { rejection: RejectedJob }) =>
      sendFrame(refusals.invalidJob(params.rejection)),
    ),
    clearWaiting: assign({ waiting: [] }),
    /** A revoked job leaves the line, and is remembered so a late copy of its frame is ignored. */
    withdraw: assign(({ context }, params: { jobId: string }) => {
      const revoked = context.waiting.find((w) => w.job_id === params.jobId)!;
      return {
        waiting: context.waiting.filter((w) => w.job_id !== params.jobId),
        settled: remember(context.settled, revoked.job_id, revoked.fence_token, context.memorySize),
      };
    }),
    sendPause: sendTo(connectionRef, sendFrame({ type: 'pause' })),
    sendResume: sendTo(connectionRef, sendFrame({ type: 'resume' })),
    sendDrain: sendTo(connectionRef, sendFrame({ type: 'drain' })),
    notifyDrained: sendParent({ type: 'GATE_DRAINED' } satisfies GateNotice),
    /** One line, or one per job (refusals). */
    log: actionNotProvided('gate', 'log') as (
      _: unknown,
      params: LogParams | readonly LogParams[],
    ) => void,
  },
}).createMachine({
  id: 'gate',
  description:
    'The gate: one per worker, the owner of running jobs. It admits jobs into capacity slots (or a bounded waiting line), ignores re-deliveries, replaces superseded runs, runs each job as its child `job:<job id>` (job.machine.ts; a transient one light-job.ts), hears their ends, answers every job that will not run, tells the queue to pause, resume and drain, and reports when the last running job has ended after a drain. Its context holds the only record of running jobs.',
  context: ({ input }) => ({
    capacity: input.capacity,
    pauseThreshold: input.pauseThreshold ?? DEFAULTS.pauseThreshold,
    resumeThreshold: input.resumeThreshold ?? DEFAULTS.resumeThreshold,
    running: emptyRecord(),
    waiting: [],
    settled: noRecentJobs,
    memorySize: input.memorySize ?? DEFAULTS.settledMemory,
  }),
  initial: 'accepting',
  on: {
    JOB_OFFERED: [
      IGNORE_REDELIVERY,
      {
        guard: { type: 'supersedesRun', params: offered },
        actions: [
          {
            type: 'command',
            params: ({ event }) => ({
              jobId: event.job.job_id,
              command: { type: 'JOB_SUPERSEDED' },
            }),
          },
          { type: 'log', params: (args) => endLog(reportOfSuperseded(args)) },
          { type: 'emitEnded', params: reportOfSuperseded },
          {
            type: 'release',
            params: ({ context, event }) => ({
              jobId: event.job.job_id,
              fenceToken: context.running[event.job.job_id]!.fenceToken,
            }),
          },
          { type: 'stopJob', params: ({ event }) => ({ jobId: event.job.job_id }) },
          ...START_OFFERED,
        ],
      },
      { guard: 'hasFreeSlot', actions: START_OFFERED },
      { guard: 'hasWaitingRoom', actions: { type: 'enqueue', params: offered } },
      {
        actions: [
          { type: 'log', params: ({ event }) => [refusalLog(event.job, 'at_capacity')] },
          {
            type: 'sendRefusals',
            params: ({ event }) => ({ jobs: [event.job], reason: 'at_capacity' }),
          },
        ],
      },
    ],
    JOB_ENDED: [
      {
        guard: { type: 'isCurrentRunWithWaiting', params: ({ event }) => event },
        actions: [
          ...END_ACTIONS,
          { type: 'log', params: ({ context }) => startLog(context.waiting[0]!) },
          'startNext',
        ],
      },
      { guard: { type: 'isCurrentRun', params: ({ event }) => event }, actions: END_ACTIONS },
    ],
    JOB_REVOKED: [
      {
        guard: { type: 'isRunningJob', params: ({ event }) => event },
        actions: [
          { type: 'markEnding', params: ({ event }) => ({ jobIds: [event.jobId] }) },
          {
            type: 'command',
            params: ({ event }) => ({
              jobId: event.jobId,
              command: { type: 'JOB_REVOKED', reason: event.reason ?? 'revoked' },
            }),
          },
        ],
      },
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
    JOB_REJECTED: {
      actions: [
        { type: 'log', params: ({ event }) => rejectionLog(event.rejection) },
        { type: 'answerInvalidJob', params: ({ event }) => event },
      ],
    },
    INTERRUPT_JOBS: {
      actions: [
        { type: 'markEnding', params: ({ context }) => ({ jobIds: Object.keys(context.running) }) },
        { type: 'commandAll', params: { command: { type: 'JOB_INTERRUPTED' } } },
      ],
    },
    FAIL_JOBS: {
      actions: [
        { type: 'markEnding', params: ({ context }) => ({ jobIds: Object.keys(context.running) }) },
        {
          type: 'commandAll',
          params: ({ event }) => ({ command: { type: 'JOB_FAILED', message: event.message } }),
        },
      ],
    },
    ABANDON_JOBS: {
      actions: [
        { type: 'markEnding', params: ({ context }) => ({ jobIds: Object.keys(context.running) }) },
        { type: 'abandonAll', params: ({ event }) => event },
        // The waiting line would start on the same dead engine: it is given up too.
        {
          type: 'log',
          params: ({ context }) =>
            context.waiting.map((job) => refusalLog(job, 'engine_unhealthy')),
        },
        {
          type: 'sendRefusals',
          params: ({ context }) => ({ jobs: context.waiting, reason: 'engine_unhealthy' }),
        },
        'clearWaiting',
      ],
    },
    DRAIN: '.draining',
  },
  states: {
    accepting: {
      description: 'Dispatch is open',
      on: {
        BACKPRESSURE_READING: {
          guard: { type: 'overPauseThreshold', params: ({ event }) => event },
          target: 'paused',
          actions: 'sendPause',
        },
        PAUSE_REQUESTED: { target: 'paused', actions: 'sendPause' },
        ENGINE_UNHEALTHY: { target: 'unhealthy.wasAccepting', actions: 'sendPause' },
      },
    },
    paused: {
      description:
        'The queue was told `pause` (vLLM is backed up, or the SDK paused); jobs sent before that still run',
      on: {
        ENGINE_UNHEALTHY: 'unhealthy.wasPaused',
        BACKPRESSURE_READING: {
          guard: { type: 'atOrBelowResumeThreshold', params: ({ event }) => event },
          target: 'accepting',
          actions: 'sendResume',
        },
        RESUME_REQUESTED: { target: 'accepting', actions: 'sendResume' },
      },
    },
    unhealthy: {
      description:
        "vLLM's /health fails: the queue was told `pause`, jobs offered meanwhile are refused, and no waiting job starts",
      on: {
        JOB_OFFERED: [IGNORE_REDELIVERY, { actions: refuseOffered('engine_unhealthy') }],
        // No waiting job starts on an unhealthy engine: the line waits for recovery.
        JOB_ENDED: {
          guard: { type: 'isCurrentRun', params: ({ event }) => event },
          actions: END_ACTIONS,
        },
      },
      initial: 'wasAccepting',
      states: {
        wasAccepting: {
          description: 'Paused for vLLM alone: `resume` once it is healthy again',
          on: {
            ENGINE_RECOVERED: {
              target: '#gate.accepting',
              actions: ['sendResume', ...START_WAITING],
            },
            PAUSE_REQUESTED: 'wasPaused',
          },
        },
        wasPaused: {
          description: 'Paused before (backpressure, the SDK): still paused once vLLM is healthy',
          on: {
            ENGINE_RECOVERED: { target: '#gate.paused', actions: START_WAITING },
            RESUME_REQUESTED: 'wasAccepting',
          },
        },
      },
    },
    draining: {
      description: 'Shutting down: `drain` is sent, no job starts, running jobs finish',
      entry: [
        'sendDrain',
        {
          type: 'log',
          params: ({ context }) => context.waiting.map((job) => refusalLog(job, 'draining')),
        },
        {
          type: 'sendRefusals',
          params: ({ context }) => ({ jobs: context.waiting, reason: 'draining' }),
        },
        'clearWaiting',
      ],
      always: { guard: 'nothingRunning', target: 'drained' },
      on: {
        JOB_OFFERED: { actions: REFUSE_DRAINING },
        JOB_ENDED: {
          guard: { type: 'isCurrentRun', params: ({ event }) => event },
          actions: END_ACTIONS,
        },
        DRAIN: {},
      },
    },
    drained: {
      description: 'Drained: nothing runs and nothing will start',
      tags: 'drained',
      entry: 'notifyDrained',
      on: {
        JOB_OFFERED: { actions: REFUSE_DRAINING },
        DRAIN: { actions: 'notifyDrained' },
      },
    },
  },
});

export type GateMachine = typeof gateMachine;
