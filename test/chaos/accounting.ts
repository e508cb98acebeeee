/**
 * Accounts for every job of a chaos run from the queue's event log and job objects (the
 * truth), and returns each broken promise as a line: a job without exactly one accepted
 * outcome, a handler run twice under one fence token, an outcome frame sent twice on one
 * connection, a wrong result.
 */
import { isDeepStrictEqual } from 'node:util';
import {
  eventIs,
  type JobOutcome,
  type LocalQueue,
  type QueueEvent,
} from '../../src/tools/queue/index.ts';
import { expectedError, expectedResult, type Invocation, type PlannedJob } from './plan.ts';
import type { Witness } from './witness.ts';

export type ChaosRun = {
  queue: LocalQueue;
  /** job id → what the plan said about it. */
  plan: Map<string, PlannedJob>;
  outcomes: Map<string, JobOutcome>;
  invocations: Invocation[];
  witness: Witness;
};

export type Accounting = {
  violations: string[];
  /** Outcomes by kind, e.g. `completed`, `failed:revoked`. */
  tally: Record<string, number>;
  handlerRuns: number;
  abortedRuns: number;
};

const OUTCOME_FRAMES = new Set(['job_result', 'job_result_ref', 'job_error']);

export function account(run: ChaosRun): Accounting {
  const violations: string[] = [];
  const tally: Record<string, number> = {};
  const all = run.queue.events.all();
  const byJob = eventsByJob(all);
  const runs = runsByJob(run.invocations);
  for (const [jobId, planned] of run.plan) {
    const outcome = run.outcomes.get(jobId);
    const job: JobRecord = { planned, events: byJob.get(jobId) ?? [], runs: runs.get(jobId) ?? [] };
    const problem =
      outcome === undefined
        ? 'never settled'
        : checkJob(job, outcome, { all, witness: run.witness });
    if (problem !== undefined) violations.push(`job ${planned.i} (${jobId}): ${problem}`);
    const key = outcome === undefined ? 'unsettled' : outcomeKey(outcome, job.events);
    tally[key] = (tally[key] ?? 0) + 1;
  }
  violations.push(
    ...duplicateRuns(run.invocations),
    ...runsAfterRevocation(run.invocations, run.witness),
    ...duplicateOutcomeFrames(run.queue),
  );
  const abortedRuns = run.invocations.filter((invocation) => invocation.aborted).length;
  return { violations, tally, handlerRuns: run.invocations.length, abortedRuns };
}

/** What a person wants to see of a run: outcomes, faults, reconnects, leases, rejections. */
export function summarise(
  queue: LocalQueue,
  accounting: Accounting,
  driver: { counts: Record<string, number> },
): Record<string, unknown> {
  const events = queue.events.all();
  const count = (kind: string) => events.filter((event) => event.kind === kind).length;
  return {
    outcomes: accounting.tally,
    faults: driver.counts,
    handler_runs: accounting.handlerRuns,
    aborted_runs: accounting.abortedRuns,
    registrations: count('worker_registered'),
    lease_expiries: count('lease_expired'),
    lease_renewals: count('lease_renewed'),
    rejected: countBy(events.filter(eventIs('outcome_rejected')).map((event) => event.reason)),
    offload_puts: countBy(events.filter(eventIs('offload_put')).map((e) => String(e.status))),
    violations: accounting.violations.length,
  };
}

function countBy(values: string[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const value of values) counts[value] = (counts[value] ?? 0) + 1;
  return counts;
}

/** One job as the checks see it: the plan, the queue's events about it, the handler's runs. */
type JobRecord = { planned: PlannedJob; events: QueueEvent[]; runs: Invocation[] };

type Witnesses = { all: QueueEvent[]; witness: Witness };

function checkJob(job: JobRecord, outcome: JobOutcome, witnesses: Witnesses): string | undefined {
  const { planned, events } = job;
  const accepted = events.filter(eventIs('outcome_accepted'));
  if (accepted.length > 1) return `${accepted.length} accepted outcomes`;
  if (outcome.status === 'failed' && outcome.reason === 'revoked') {
    const revoked = events.some(eventIs('job_revoked', (e) => !e.redispatch));
    return revoked && accepted.length === 0 ? undefined : 'failed as revoked, but not revoked';
  }
  if (outcome.status === 'failed' && outcome.reason === 'timeout') {
    return lostInTransit(job, witnesses);
  }
  if (accepted.length !== 1) return `settled (${outcomeKey(outcome)}) without an accepted outcome`;
  if (planned.kind === 'fail') {
    return outcome.status === 'failed' && outcome.error === expectedError(planned)
      ? undefined
      : `expected the planned failure, got ${outcomeKey(outcome)}`;
  }
  if (outcome.status !== 'completed') return `expected a result, got ${outcomeKey(outcome)}`;
  return isDeepStrictEqual(outcome.result, expectedResult(planned))
    ? undefined
    : `wrong result ${JSON.stringify(outcome.result).slice(0, 80)}`;
}

/**
 * A transient job is fire and forget: its job frame, or its result, may die with a dropped
 * socket, and then the queue times it out. That is allowed when the connection closed after
 * the dispatch and the result (if the handler made one) was made while the worker was online:
 * a result made offline waits in the outbox and must arrive.
 */
function lostInTransit(job: JobRecord, { all, witness }: Witnesses): string | undefined {
  if (job.planned.mode !== 'transient') return 'a persisted job timed out';
  const dispatched = job.events.filter(eventIs('job_dispatched')).at(-1);
  // The queue timed it out before any worker had it: nothing the worker did (tallied apart).
  if (dispatched === undefined) return undefined;
  const closed = all.some((e) => e.kind === 'connection_closed' && e.seq > dispatched.seq);
  if (!closed) return 'timed out although the connection stayed up';
  const offline = job.runs.find(
    (r) => r.finishedAt !== undefined && !witness.onlineAt(r.finishedAt),
  );
  return offline === undefined ? undefined : 'its result, made while offline, never arrived';
}

function runsByJob(invocations: Invocation[]): Map<string, Invocation[]> {
  const byJob = new Map<string, Invocation[]>();
  for (const invocation of invocations) {
    byJob.set(invocation.jobId, [...(byJob.get(invocation.jobId) ?? []), invocation]);
  }
  return byJob;
}

function duplicateRuns(invocations: Invocation[]): string[] {
  const seen = new Set<string>();
  const twice: string[] = [];
  for (const { jobId, fenceToken } of invocations) {
    const key = `${jobId}@${fenceToken}`;
    if (seen.has(key))
      twice.push(`the handler ran twice for job ${jobId} under token ${fenceToken}`);
    seen.add(key);
  }
  return twice;
}

/** A job_revoked stops the job for good: no run of that dispatch may start after it arrived. */
function runsAfterRevocation(invocations: Invocation[], witness: Witness): string[] {
  return invocations
    .filter((run) => witness.revokedBefore(run.jobId, run.fenceToken, run.startedAt))
    .map((run) => `job ${run.jobId}@${run.fenceToken} started after its job_revoked arrived`);
}

/**
 * Each (job, fence token) gets at most one result, result ref or error per connection.
 * Results are delivered at least once: one that no pong confirmed before its socket died is
 * sent again on the next connection (the queue refuses the second copy), so a repeat on a
 * later connection is by design; a repeat on the same connection never is.
 */
function duplicateOutcomeFrames(queue: LocalQueue): string[] {
  const seen = new Set<string>();
  const twice: string[] = [];
  for (const event of queue.events.filter(eventIs('frame_in'))) {
    const { frame } = event;
    if (!OUTCOME_FRAMES.has(frame.type) || !('job_id' in frame)) continue;
    const key = `${frame.job_id}@${frame.fence_token} on connection ${event.connectionId}`;
    if (seen.has(key)) twice.push(`${frame.type} sent twice for job ${key}`);
    seen.add(key);
  }
  return twice;
}

function eventsByJob(events: QueueEvent[]): Map<string, QueueEvent[]> {
  const byJob = new Map<string, QueueEvent[]>();
  for (const event of events) {
    const jobId = 'jobId' in event ? event.jobId : undefined;
    if (jobId === undefined) continue;
    const list = byJob.get(jobId) ?? [];
    list.push(event);
    byJob.set(jobId, list);
  }
  return byJob;
}

function outcomeKey(outcome: JobOutcome, events: QueueEvent[] = []): string {
  if (outcome.status === 'completed') return 'completed';
  const dispatched = events.some((event) => event.kind === 'job_dispatched');
  return outcome.reason === 'timeout' && !dispatched
    ? 'failed:timeout_in_backlog'
    : `failed:${outcome.reason}`;
}
