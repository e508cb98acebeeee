/**
 * The job ledger listens to the gate it sees created, and keeps what the gate reports: runs
 * end once, with their task, outcome and end state; a stale run's end is ignored; a superseded
 * run ends as such.
 */
import { describe, expect, it } from 'vitest';
import { createActor, fromCallback, setup } from 'xstate';
import { gateMachine } from '../../../machines/gate.machine.ts';
import type { JobEndedEvent, JobFrame } from '../../../machines/types.ts';
import { type EndedJob, JobLedger } from '../../../src/status/jobs.ts';
import { jobFrame } from '../../support/job-frame.ts';

const idleJob = setup({ types: { input: {} as { job: JobFrame } } }).createMachine({});

function ended(fenceToken: number, end: Pick<JobEndedEvent, 'state' | 'outcome'>): JobEndedEvent {
  return { type: 'JOB_ENDED', jobId: 'job-1', fenceToken, endedAt: Date.now(), ...end };
}

/** A ledger watching a gate (its jobs stand-ins that never end by themselves). */
function ledgerOnGate() {
  const seen: EndedJob[] = [];
  const ledger = new JobLedger({ onEnded: (job) => seen.push(job) });
  const parent = setup({
    actors: {
      gate: gateMachine.provide({ actors: { job: idleJob as never }, actions: { log: () => {} } }),
      connection: fromCallback(() => undefined),
    },
  }).createMachine({
    invoke: [
      { src: 'connection', systemId: 'connection' },
      { id: 'gate', systemId: 'gate', src: 'gate', input: { capacity: 1 } },
    ],
  });
  const actor = createActor(parent, { inspect: (event) => ledger.observe(event) }).start();
  return { ledger, seen, gate: actor.system.get('gate')! };
}

describe('JobLedger', () => {
  it('keeps the gate’s reports: a superseded run, not a stale end, and the end state', () => {
    const { ledger, seen, gate } = ledgerOnGate();
    gate.send({ type: 'JOB_OFFERED', job: jobFrame('job-1', 1, 'persisted', { task: 'fal/t2v' }) });
    gate.send({ type: 'JOB_OFFERED', job: jobFrame('job-1', 2, 'persisted') });
    gate.send(ended(1, { state: 'result', outcome: { kind: 'result', delivery: 'inline' } }));
    gate.send(ended(2, { state: 'revoked', outcome: { kind: 'aborted', reason: 'revoked' } }));

    expect(seen.map((job) => [job.task, job.outcome])).toEqual([
      ['fal/t2v', 'superseded'],
      ['none', 'revoked'],
    ]);
    expect(ledger.recent().map((job) => [job.fenceToken, job.state])).toEqual([
      [2, 'revoked'],
      [1, 'superseded'],
    ]);
  });

  it("keeps a failed job's error message for Recently ended (issue 18)", () => {
    const { ledger, gate } = ledgerOnGate();
    gate.send({ type: 'JOB_OFFERED', job: jobFrame('job-1', 1, 'persisted') });
    const message = 'vLLM answered 502: bad gateway';
    gate.send(ended(1, { state: 'error', outcome: { kind: 'error', message } }));
    expect(ledger.recent()).toEqual([
      expect.objectContaining({ outcome: 'error', error: message }),
    ]);
  });
});
