/**
 * The lease of one persisted job. While the job's work runs, the lease is renewed with
 * `job_progress` every RENEW_INTERVAL; a revocation aborts the work and silences the job;
 * success settles with the job's fence token, inline or through the upload URL.
 *
 * The work itself is the `work` actor (src/jobs/work.ts): it fetches an offloaded payload, runs
 * the handler with an AbortSignal, and reports WORK_* events. It lives as long as the lease.
 */
import { assign, cancel, raise, sendParent, sendTo, setup } from 'xstate';
import { connectionRef, sendFrame } from './outbound.ts';
import { actionNotProvided, callbackNotProvided, promiseNotProvided } from './placeholders.ts';
import type {
  AbortReason,
  JobFrame,
  JobOutcome,
  LogParams,
  WorkCommand,
  WorkEvent,
} from './types.ts';

/** Results larger than this (serialised) go to `result_upload_url` when there is one. */
export const OFFLOAD_THRESHOLD_BYTES = 256 * 1024;

export type LeaseInput = { job: JobFrame };

export type LeaseContext = {
  job: JobFrame;
  jobId: string;
  fenceToken: number;
  resultUploadUrl: string | undefined;
  /** The result, held while it is uploaded (or sent inline when the upload fails). */
  result: unknown;
  renewals: number;
  outcome: JobOutcome | undefined;
};

export type LeaseEvent =
  | WorkEvent
  /** Each renewal schedules the next one. */
  | { type: 'RENEW_DUE' }
  /** From the worker: the queue's `job_revoked`. */
  | { type: 'JOB_REVOKED'; reason: string }
  /** From the worker: a newer dispatch of this job replaced this run. */
  | { type: 'JOB_SUPERSEDED' }
  /** From the worker: shutdown's grace period ran out. */
  | { type: 'JOB_INTERRUPTED' }
  /** From the worker: vLLM failed; end the job with an error naming the cause. */
  | { type: 'JOB_FAILED'; message: string };

export type UploadInput = { url: string; result: unknown };

const RENEWAL_ID = 'renewal';

export const leaseMachine = setup({
  types: {
    context: {} as LeaseContext,
    events: {} as LeaseEvent,
    input: {} as LeaseInput,
  },
  actors: {
    work: callbackNotProvided<WorkCommand, { job: JobFrame }>('lease', 'work'),
    upload: promiseNotProvided<void, UploadInput>('lease', 'upload'),
  },
  guards: {
    shouldOffload: ({ context }, params: { size: number }) =>
      context.resultUploadUrl !== undefined && params.size > OFFLOAD_THRESHOLD_BYTES,
  },
  actions: {
    scheduleRenewal: raise({ type: 'RENEW_DUE' }, { delay: 'RENEW_INTERVAL', id: RENEWAL_ID }),
    cancelRenewal: cancel(RENEWAL_ID),
    renew: sendTo(connectionRef, ({ context }) =>
      sendFrame({
        type: 'job_progress',
        job_id: context.jobId,
        fence_token: context.fenceToken,
        status_message: 'processing',
      }),
    ),
    countRenewal: assign({ renewals: ({ context }) => context.renewals + 1 }),
    reportProgress: sendTo(
      connectionRef,
      ({ context }, params: { progress?: number; message?: string }) =>
        sendFrame({
          type: 'job_progress',
          job_id: context.jobId,
          fence_token: context.fenceToken,
          ...(params.progress === undefined ? {} : { progress: params.progress }),
          status_message: params.message ?? 'processing',
        }),
    ),
    holdResult: assign({ result: (_, params: { result: unknown }) => params.result }),
    sendResult: sendTo(connectionRef, ({ context }, params: { result: unknown }) =>
      sendFrame({
        type: 'job_result',
        job_id: context.jobId,
        result: params.result as never,
        fence_token: context.fenceToken,
      }),
    ),
    sendResultRef: sendTo(connectionRef, ({ context }) =>
      sendFrame({ type: 'job_result_ref', job_id: context.jobId, fence_token: context.fenceToken }),
    ),
    sendError: sendTo(connectionRef, ({ context }, params: { message: string }) =>
      sendFrame({
        type: 'job_error',
        job_id: context.jobId,
        error: params.message,
        fence_token: context.fenceToken,
      }),
    ),
    abortWork: sendTo('work', (_, params: { reason: AbortReason }) => ({
      type: 'ABORT' as const,
      reason: params.reason,
    })),
    settle: assign((_, params: { outcome: JobOutcome }) => ({ outcome: params.outcome })),
    notifyEnded: sendParent(({ context }) => ({
      type: 'JOB_ENDED',
      jobId: context.jobId,
      fenceToken: context.fenceToken,
      outcome: context.outcome!,
    })),
    log: actionNotProvided('lease', 'log') as (_: unknown, params: LogParams) => void,
  },
  delays: {
    /** Renew the lease every 30 s while the job runs (the queue's lease is 300 s). */
    RENEW_INTERVAL: 30_000,
  },
}).createMachine({
  id: 'lease',
  context: ({ input }) => ({
    job: input.job,
    jobId: input.job.job_id,
    fenceToken: input.job.fence_token,
    resultUploadUrl: input.job.result_upload_url,
    result: undefined,
    renewals: 0,
    outcome: undefined,
  }),
  invoke: { id: 'work', src: 'work', input: ({ context }) => ({ job: context.job }) },
  initial: 'held',
  states: {
    /** The job runs and the lease is renewed on schedule, also while the worker drains. */
    held: {
      entry: 'scheduleRenewal',
      exit: 'cancelRenewal',
      on: {
        RENEW_DUE: { actions: ['renew', 'countRenewal', 'scheduleRenewal'] },
        WORK_PROGRESS: { actions: { type: 'reportProgress', params: ({ event }) => event } },
        JOB_REVOKED: {
          target: 'revoked',
          actions: [
            { type: 'abortWork', params: { reason: 'revoked' } },
            { type: 'settle', params: { outcome: { kind: 'aborted', reason: 'revoked' } } },
          ],
        },
        JOB_SUPERSEDED: {
          target: 'superseded',
          actions: [
            { type: 'abortWork', params: { reason: 'superseded' } },
            { type: 'settle', params: { outcome: { kind: 'aborted', reason: 'superseded' } } },
          ],
        },
        JOB_INTERRUPTED: {
          target: 'interrupted',
          actions: [
            { type: 'abortWork', params: { reason: 'shutdown' } },
            { type: 'settle', params: { outcome: { kind: 'aborted', reason: 'shutdown' } } },
          ],
        },
        JOB_FAILED: {
          target: 'settled',
          actions: [
            { type: 'abortWork', params: { reason: 'engine_failed' } },
            { type: 'sendError', params: ({ event }) => event },
            {
              type: 'settle',
              params: ({ event }) => ({ outcome: { kind: 'error', message: event.message } }),
            },
          ],
        },
      },
      initial: 'working',
      states: {
        /** The work actor runs the job's handler. */
        working: {
          on: {
            WORK_SUCCEEDED: [
              {
                guard: { type: 'shouldOffload', params: ({ event }) => event },
                target: 'uploading',
                actions: { type: 'holdResult', params: ({ event }) => event },
              },
              {
                target: '#lease.settled',
                actions: [
                  { type: 'sendResult', params: ({ event }) => event },
                  { type: 'settle', params: { outcome: { kind: 'result', delivery: 'inline' } } },
                ],
              },
            ],
            WORK_FAILED: {
              target: '#lease.settled',
              actions: [
                { type: 'sendError', params: ({ event }) => event },
                {
                  type: 'settle',
                  params: ({ event }) => ({ outcome: { kind: 'error', message: event.message } }),
                },
              ],
            },
          },
        },
        /** A large result is being PUT to the job's result_upload_url. */
        uploading: {
          invoke: {
            src: 'upload',
            input: ({ context }) => ({ url: context.resultUploadUrl!, result: context.result }),
            onDone: {
              target: '#lease.settled',
              actions: [
                'sendResultRef',
                { type: 'settle', params: { outcome: { kind: 'result', delivery: 'offloaded' } } },
              ],
            },
            onError: {
              target: '#lease.settled',
              actions: [
                {
                  type: 'log',
                  params: ({ context, event }) => ({
                    level: 'warn',
                    message: 'result upload failed: sending the result inline instead',
                    fields: { job_id: context.jobId, error: String(event.error) },
                  }),
                },
                { type: 'sendResult', params: ({ context }) => ({ result: context.result }) },
                { type: 'settle', params: { outcome: { kind: 'result', delivery: 'inline' } } },
              ],
            },
          },
        },
      },
    },
    // The four ends are tagged `ended`, not `type: 'final'`: a final child sends its parent a
    // done event named after its id (`xstate.done.actor.job:<job id>`), and xstate memoizes
    // transition candidates per event type for good, so a new event type per job grew the
    // worker by about 270 bytes per persisted job. The worker stops the lease on JOB_ENDED.
    /** Settled: the result or the error went out with the job's fence token. */
    settled: { tags: 'ended', entry: 'notifyEnded' },
    /** The queue took the job back: work aborted, nothing more sent. */
    revoked: { tags: 'ended', entry: 'notifyEnded' },
    /** A newer dispatch of the job replaced this run: work aborted, nothing more sent. */
    superseded: { tags: 'ended', entry: 'notifyEnded' },
    /** Shutdown ran out of time: work aborted; the queue's lease expiry re-dispatches the job. */
    interrupted: { tags: 'ended', entry: 'notifyEnded' },
  },
});

export type LeaseMachine = typeof leaseMachine;
