/**
 * The job ledger from inspection events alone: runs end once, with their task, outcome and
 * the state their lease ended in; a stale run's end is ignored; a superseded run ends as such.
 */
import { describe, expect, it } from 'vitest';
import type { InspectionEvent } from 'xstate';
import { jobActorId } from '../../../machines/job-actors.ts';
import type { JobFrame } from '../../../machines/types.ts';
import { type EndedJob, JobLedger } from '../../../src/status/jobs.ts';

const root = { sessionId: 'x:0', id: 'worker' };
const lease = { sessionId: 'x:7', id: jobActorId('job-1') };

function toRoot(event: { type: string; [key: string]: unknown }): InspectionEvent {
  return {
    type: '@xstate.event',
    actorRef: root,
    rootId: 'x:0',
    event,
    sourceRef: undefined,
  } as never;
}

function leaseSnapshot(value: string, tags: string[] = []): InspectionEvent {
  return {
    type: '@xstate.snapshot',
    actorRef: lease,
    rootId: 'x:0',
    snapshot: { value, hasTag: (tag: string) => tags.includes(tag) },
  } as never;
}

function jobFrame(fenceToken: number, payload: unknown): JobFrame {
  return {
    type: 'job',
    job_id: 'job-1',
    mode: 'persisted',
    fence_token: fenceToken,
    payload,
  } as never;
}

describe('JobLedger', () => {
  it('ends a superseded run, ignores a stale end, and records the final lease state', () => {
    const ended: EndedJob[] = [];
    const ledger = new JobLedger({ onEnded: (job) => ended.push(job) });
    ledger.observe(toRoot({ type: 'START_JOB', job: jobFrame(1, { task: 'fal/text-to-video' }) }));
    ledger.observe(leaseSnapshot('held'));
    expect(ledger.running()).toEqual([
      expect.objectContaining({ jobId: 'job-1', task: 'fal/text-to-video', state: 'held' }),
    ]);
    ledger.observe(toRoot({ type: 'SUPERSEDE_JOB', jobId: 'job-1', fenceToken: 1 }));
    ledger.observe(toRoot({ type: 'START_JOB', job: jobFrame(2, {}) }));
    const stale = { kind: 'result', delivery: 'inline' };
    ledger.observe(toRoot({ type: 'JOB_ENDED', jobId: 'job-1', fenceToken: 1, outcome: stale }));
    expect(ledger.running()).toHaveLength(1);
    ledger.observe(
      toRoot({
        type: 'JOB_ENDED',
        jobId: 'job-1',
        fenceToken: 2,
        outcome: { kind: 'aborted', reason: 'revoked' },
      }),
    );
    ledger.observe(leaseSnapshot('revoked', ['ended']));
    ledger.observe({ ...toRoot({ type: 'RENEW_DUE' }), actorRef: lease } as never);

    expect(ended.map((job) => [job.task, job.outcome])).toEqual([
      ['fal/text-to-video', 'superseded'],
      ['none', 'revoked'],
    ]);
    expect(ledger.running()).toEqual([]);
    expect(ledger.recent().map((job) => [job.fenceToken, job.state])).toEqual([
      [2, 'revoked'],
      [1, 'held'],
    ]);
    expect(ledger.renewals).toBe(1);
  });

  it("keeps a failed job's error message for Recently ended (issue 18)", () => {
    const ledger = new JobLedger({});
    ledger.observe(toRoot({ type: 'START_JOB', job: jobFrame(1, {}) }));
    const outcome = { kind: 'error', message: 'vLLM answered 502: bad gateway' };
    ledger.observe(toRoot({ type: 'JOB_ENDED', jobId: 'job-1', fenceToken: 1, outcome }));
    expect(ledger.recent()).toEqual([
      expect.objectContaining({ outcome: 'error', error: 'vLLM answered 502: bad gateway' }),
    ]);
  });
});
