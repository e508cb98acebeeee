/**
 * One job, transient or persisted: its work runs, a large result of a persisted job is PUT to
 * its upload URL, and the job ends in one of six states, each tagged `ended`, with its outcome
 * in the context and in the JOB_ENDED it sends its owner (the gate). A persisted job's lease is
 * renewed with `job_progress` every RENEW_INTERVAL while its work runs; a transient job has no
 * lease, and its frames carry fence token 0, as the reference SDK's do.
 *
 * The work itself starts on the job's entry (`startWork`, src/jobs/work.ts): it fetches an
 * offloaded payload, runs the handler with an AbortSignal that `abortWork` fires, and reports
 * WORK_* events to the job. Not a child actor of its own: a second actor per job (its spawn, its
 * start event, its stop) was a measured share of a small job's CPU (README "Benchmarks").
 *
 * What a running job does on each work event and command, where neither a lease nor an upload
 * is involved, is a table (job-rules.ts) this machine builds those transitions from. The worker
 * runs a transient job, whose whole life that table is, as the lighter light-job.ts, which runs
 * the same table: the machine and the light actor cannot drift apart by a copy.
 */
import { assign, cancel, enqueueActions, raise, sendParent, sendTo, setup } from 'xstate';
import { DEFAULTS } from './defaults.ts';
import {
  endedEvent,
  JOB_RULES,
  type JobContext,
  jobContextOf,
  progressFrame,
  type RuledEvent,
  type RuledType,
  resultFrame,
  shouldOffload,
} from './job-rules.ts';
import { connectionRef, sendFrame } from './outbound.ts';
import { actionNotProvided, promiseNotProvided } from './placeholders.ts';
import type {
  AbortReason,
  JobEndState,
  JobFrame,
  JobOutcome,
  LogParams,
  OutboundFrame,
} from './types.ts';

export type { JobContext } from './job-rules.ts';
export { mayOffload } from './job-rules.ts';

export type JobInput = { job: JobFrame };

export type JobEvent =
  | RuledEvent
  /** Each renewal schedules the next one. */
  | { type: 'RENEW_DUE' };

export type UploadInput = { url: string; result: unknown };

/** What a transition built from a rule carries: which rule (model coverage maps it back). */
export type RuleMeta = { rule: RuledType };

// Stryker disable next-line StringLiteral: any id will do; the renewal is raised and cancelled by it
const RENEWAL_ID = 'renewal';

type RuleArgs = { context: JobContext; event: RuledEvent };

/**
 * The transition a rule of job-rules.ts makes: its abort, its frame, its outcome and its end,
 * exactly what a transient job's light actor does by the same rule.
 */
function ruled(type: RuledType) {
  const rule = JOB_RULES[type] as (typeof JOB_RULES)[RuledType] & {
    frame?: (context: JobContext, event: RuledEvent) => OutboundFrame;
    outcome?: (event: RuledEvent) => JobOutcome;
  };
  const { abort, frame, outcome, end } = rule;
  return {
    ...(end === undefined ? {} : { target: `#job.${end}` }),
    meta: { rule: type } satisfies RuleMeta,
    actions: [
      ...(abort === undefined ? [] : [{ type: 'abortWork', params: { reason: abort } } as const]),
      ...(frame === undefined
        ? []
        : [
            {
              type: 'sendToQueue',
              params: ({ context, event }: RuleArgs) => ({ frame: frame(context, event) }),
            } as const,
          ]),
      ...(outcome === undefined
        ? []
        : [
            {
              type: 'settle',
              params: ({ event }: RuleArgs) => ({ outcome: outcome(event) }),
            } as const,
          ]),
    ],
  } as never;
}

/** The result held while it uploaded, sent inline instead, and kept as the outcome. */
const sendHeldResultInline = [
  {
    type: 'sendResult',
    params: ({ context }: { context: JobContext }) => ({ result: context.result }),
  },
  { type: 'settle', params: { outcome: { kind: 'result', delivery: 'inline' } } },
] as const;

/** The warning that a result's upload was cut short, and why, before it goes inline. */
function abandonUpload(why: string) {
  return {
    type: 'log',
    params: ({ context }: { context: JobContext }) => ({
      level: 'warn' as const,
      message: `${why} during the result upload: sending the result inline instead`,
      fields: { job_id: context.jobId },
    }),
  } as const;
}

/** One of the six ends: tagged `ended`, it tells the gate which it is. */
function endState(state: JobEndState, doc: { description: string }) {
  return {
    description: doc.description,
    tags: 'ended',
    entry: { type: 'notifyEnded', params: { state } },
  } as const;
}

export const jobMachine = setup({
  types: {
    context: {} as JobContext,
    events: {} as JobEvent,
    input: {} as JobInput,
  },
  actors: {
    upload: promiseNotProvided<void, UploadInput>('job', 'upload'),
  },
  guards: {
    isPersisted: ({ context }) => context.job.mode === 'persisted',
    // protocol.md offloads persisted jobs only: a transient job's result always goes inline.
    shouldOffload: ({ context }, params: { size: number }) =>
      shouldOffload(context.job, params.size),
  },
  actions: {
    scheduleRenewal: raise({ type: 'RENEW_DUE' }, { delay: 'RENEW_INTERVAL', id: RENEWAL_ID }),
    cancelRenewal: cancel(RENEWAL_ID),
    countRenewal: assign({ renewals: ({ context }) => context.renewals + 1 }),
    reportProgress: sendTo(connectionRef, ({ context }) => sendFrame(progressFrame(context, {}))),
    /** A frame a rule of job-rules.ts built. */
    sendToQueue: sendTo(connectionRef, (_, params: { frame: OutboundFrame }) =>
      sendFrame(params.frame),
    ),
    holdResult: assign({ result: (_, params: { result: unknown }) => params.result }),
    sendResult: sendTo(connectionRef, ({ context }, params: { result: unknown }) =>
      sendFrame(resultFrame(context, params.result)),
    ),
    sendResultRef: sendTo(connectionRef, ({ context }) =>
      sendFrame({ type: 'job_result_ref', job_id: context.jobId, fence_token: context.frameToken }),
    ),
    /** Runs the job's work, which reports WORK_* events to this job (provided by src/jobs). */
    startWork: actionNotProvided('job', 'startWork'),
    /** The work's AbortSignal fires with `reason`; nothing it reports after that is sent. */
    abortWork: actionNotProvided('job', 'abortWork') as (
      _: unknown,
      params: { reason: AbortReason },
    ) => void,
    settle: assign((_, params: { outcome: JobOutcome }) => ({ outcome: params.outcome })),
    notifyEnded: sendParent(({ context }, params: { state: JobEndState }) =>
      endedEvent(context, params.state),
    ),
    log: actionNotProvided('job', 'log') as (_: unknown, params: LogParams) => void,
  },
  delays: {
    /** CASOLA_LEASE_RENEW_INTERVAL's counterpart: how often a persisted job's lease is renewed. */
    RENEW_INTERVAL: DEFAULTS.renewIntervalMs,
  },
}).createMachine({
  id: 'job',
  description:
    "One job, transient or persisted: its work runs, a large result of a persisted job is PUT to its upload URL, and the job ends in one of six states, each tagged `ended`, with its outcome in the context and in the JOB_ENDED it sends its owner (the gate). A persisted job's lease is renewed with `job_progress` every RENEW_INTERVAL while its work runs; a transient job has no lease, and its frames carry fence token 0, as the reference SDK's do.",
  context: ({ input }) => jobContextOf(input.job),
  entry: 'startWork',
  initial: 'running',
  states: {
    running: {
      description: 'The job runs; nothing but progress and renewals has gone out for it',
      // A persisted job's lease is renewed while it runs; a transient job has none. A guard,
      // not a parallel lease region, whose snapshots and eventless check every job paid for on
      // every event (issue 17, README "Benchmarks").
      entry: enqueueActions(({ check, enqueue }) => {
        // Equivalent in the worker, which runs only persisted jobs in this machine (a transient
        // one as the light job): the walks' real jobs cannot show it.
        // Stryker disable next-line ConditionalExpression: a transient job never runs here
        if (check('isPersisted')) enqueue('scheduleRenewal');
      }),
      // Equivalent in the worker: the gate stops an ended job at once, which cancels its timers
      // too (test/model/planted-bugs.md, job-renew-exit).
      // Stryker disable next-line StringLiteral: the gate's stop cancels the timer
      exit: 'cancelRenewal',
      on: {
        RENEW_DUE: {
          actions: [
            'reportProgress',
            'countRenewal',
            {
              type: 'log',
              params: ({ context }) => ({
                level: 'debug',
                message: 'lease renewed',
                fields: { job_id: context.jobId, renewals: context.renewals },
              }),
            },
            'scheduleRenewal',
          ],
        },
        WORK_PROGRESS: ruled('WORK_PROGRESS'),
        JOB_REVOKED: ruled('JOB_REVOKED'),
        JOB_SUPERSEDED: ruled('JOB_SUPERSEDED'),
        JOB_INTERRUPTED: [
          // A persisted job cut off is left to its lease: nothing sent, the queue re-dispatches.
          {
            guard: 'isPersisted',
            target: 'interrupted',
            actions: [
              {
                type: 'abortWork',
                params: ({ event }) => ({ reason: event.reason ?? 'shutdown' }),
              },
              {
                type: 'settle',
                params: ({ event }) => ({
                  outcome: { kind: 'aborted', reason: event.reason ?? 'shutdown' },
                }),
              },
            ],
          },
          ruled('JOB_INTERRUPTED'),
        ],
        JOB_FAILED: ruled('JOB_FAILED'),
      },
      initial: 'working',
      states: {
        working: {
          description: "The job's work runs its handler",
          on: {
            WORK_SUCCEEDED: [
              {
                guard: { type: 'shouldOffload', params: ({ event }) => event },
                target: 'uploading',
                actions: { type: 'holdResult', params: ({ event }) => event },
              },
              ruled('WORK_SUCCEEDED'),
            ],
            WORK_FAILED: ruled('WORK_FAILED'),
          },
        },
        uploading: {
          description: "A large result is being PUT to the job's result_upload_url",
          // The result exists: a shutdown out of time or a vLLM failure during its PUT sends
          // it inline rather than throw it away (the parent's handlers would end it unsent).
          on: {
            JOB_INTERRUPTED: {
              target: '#job.result',
              actions: [abandonUpload('shutdown ran out of time'), ...sendHeldResultInline],
            },
            JOB_FAILED: {
              target: '#job.result',
              actions: [abandonUpload('vLLM failed'), ...sendHeldResultInline],
            },
          },
          invoke: {
            src: 'upload',
            input: ({ context }) => ({ url: context.resultUploadUrl!, result: context.result }),
            onDone: {
              target: '#job.result',
              actions: [
                {
                  type: 'log',
                  params: ({ context }) => ({
                    level: 'debug',
                    message: 'result uploaded to result_upload_url; sending its reference',
                    fields: { job_id: context.jobId },
                  }),
                },
                'sendResultRef',
                {
                  type: 'settle',
                  params: { outcome: { kind: 'result', delivery: 'offloaded' } },
                },
              ],
            },
            onError: {
              target: '#job.result',
              actions: [
                {
                  type: 'log',
                  params: ({ context, event }) => ({
                    level: 'warn',
                    message: 'result upload failed: sending the result inline instead',
                    fields: { job_id: context.jobId, error: String(event.error) },
                  }),
                },
                ...sendHeldResultInline,
              ],
            },
          },
        },
      },
    },
    // The ends are tagged `ended`, not `type: 'final'`: a final child sends its parent a done
    // event named after its id (`xstate.done.actor.job:<job id>`), and xstate memoizes
    // transition candidates per event type for good, so a new event type per job grew the
    // owner by about 270 bytes per job. The owner stops the job on JOB_ENDED.
    result: endState('result', { description: 'The result went out, inline or by reference' }),
    error: endState('error', {
      description: 'The handler failed: a job_error carries its message',
    }),
    revoked: endState('revoked', {
      description: 'The queue took the job back: work aborted, nothing more sent',
    }),
    superseded: endState('superseded', {
      description: 'A newer dispatch of the job replaced this run: nothing more sent under it',
    }),
    interrupted: endState('interrupted', {
      description:
        'Shutdown ran out of time: a transient job is answered with an error; a persisted one is left to its lease',
    }),
    failed: endState('failed', { description: 'vLLM failed: a job_error names the cause' }),
  },
});

export type JobMachine = typeof jobMachine;
