import { describe, expect, it } from 'vitest';
import { type AnyEventObject, createActor, fromCallback, setup } from 'xstate';
import type { GateInput } from '../../../machines/gate.machine.ts';
import type { JobFrame, OutboundFrame } from '../../../machines/types.ts';
import { createGateLogic } from '../../../src/gate/index.ts';
import { silentLogger } from '../../../src/observability/logger.ts';
import { jobFrame } from '../../support/job-frame.ts';

/** The gate under a parent that records its notices, beside a connection that records frames. */
function harness(input: GateInput) {
  const notices: AnyEventObject[] = [];
  const frames: OutboundFrame[] = [];
  const connection = fromCallback<{ type: 'SEND'; frame: OutboundFrame }>(({ receive }) => {
    receive((event) => frames.push(event.frame));
  });
  const parent = setup({
    actors: { gate: createGateLogic(silentLogger()), connection },
  }).createMachine({
    invoke: [
      { id: 'connection', systemId: 'connection', src: 'connection' },
      { id: 'gate', systemId: 'gate', src: 'gate', input },
    ],
    on: { '*': { actions: ({ event }) => notices.push(event) } },
  });
  const actor = createActor(parent).start();
  const gate = actor.system.get('gate')!;
  return {
    notices,
    frames,
    send: (event: AnyEventObject) => gate.send(event),
    state: () => gate.getSnapshot().value as string,
    started: () => notices.filter((n) => n.type === 'START_JOB').map((n) => n.job.job_id),
  };
}

const job = (id: string, fence = 0, mode: JobFrame['mode'] = 'transient') =>
  jobFrame(id, fence, mode);

describe('gate', () => {
  it('starts jobs up to capacity, queues as many more, and refuses the rest', () => {
    const gate = harness({ capacity: 2 });
    for (const id of ['a', 'b', 'c', 'd', 'e']) gate.send({ type: 'JOB_OFFERED', job: job(id) });
    expect(gate.started()).toEqual(['a', 'b']);
    const refused = gate.notices.filter((n) => n.type === 'REFUSE_JOBS');
    expect(refused).toEqual([{ type: 'REFUSE_JOBS', jobs: [job('e')], reason: 'at_capacity' }]);
    gate.send({ type: 'JOB_SETTLED', jobId: 'a', fenceToken: 0 });
    expect(gate.started()).toEqual(['a', 'b', 'c']);
    gate.send({ type: 'JOB_SETTLED', jobId: 'b', fenceToken: 0 });
    expect(gate.started()).toEqual(['a', 'b', 'c', 'd']);
  });

  it('ignores a re-delivered job that runs, waits or recently settled under the same token', () => {
    const gate = harness({ capacity: 1 });
    gate.send({ type: 'JOB_OFFERED', job: job('a', 3, 'persisted') });
    gate.send({ type: 'JOB_OFFERED', job: job('a', 3, 'persisted') });
    gate.send({ type: 'JOB_OFFERED', job: job('b', 4, 'persisted') });
    gate.send({ type: 'JOB_OFFERED', job: job('b', 4, 'persisted') });
    gate.send({ type: 'JOB_SETTLED', jobId: 'a', fenceToken: 3 });
    gate.send({ type: 'JOB_OFFERED', job: job('a', 3, 'persisted') });
    gate.send({ type: 'JOB_OFFERED', job: job('a', 2, 'persisted') });
    expect(gate.started()).toEqual(['a', 'b']);
    expect(gate.notices.filter((n) => n.type === 'REFUSE_JOBS')).toEqual([]);
  });

  it('supersedes a run when the same job comes with a higher fence token', () => {
    const gate = harness({ capacity: 1 });
    gate.send({ type: 'JOB_OFFERED', job: job('a', 1, 'persisted') });
    gate.send({ type: 'JOB_OFFERED', job: job('a', 5, 'persisted') });
    expect(gate.notices.map((n) => n.type)).toEqual(['START_JOB', 'SUPERSEDE_JOB', 'START_JOB']);
    expect(gate.notices[1]).toEqual({ type: 'SUPERSEDE_JOB', jobId: 'a', fenceToken: 1 });
    // The old run's late settlement does not free the new run's slot.
    gate.send({ type: 'JOB_SETTLED', jobId: 'a', fenceToken: 1 });
    gate.send({ type: 'JOB_OFFERED', job: job('b', 6, 'persisted') });
    expect(gate.started()).toEqual(['a', 'a']);
  });

  it('drops a revoked job from the waiting line, and ignores a late copy of its frame', () => {
    const gate = harness({ capacity: 1 });
    gate.send({ type: 'JOB_OFFERED', job: job('a', 1, 'persisted') });
    gate.send({ type: 'JOB_OFFERED', job: job('b', 2, 'persisted') });
    gate.send({ type: 'JOB_REVOKED', jobId: 'b' });
    gate.send({ type: 'JOB_SETTLED', jobId: 'a', fenceToken: 1 });
    gate.send({ type: 'JOB_OFFERED', job: job('b', 2, 'persisted') });
    expect(gate.started()).toEqual(['a']);
    // A new dispatch of the revoked job (higher token) runs.
    gate.send({ type: 'JOB_OFFERED', job: job('b', 3, 'persisted') });
    expect(gate.started()).toEqual(['a', 'b']);
  });

  it('forgets the oldest settled jobs beyond its memory', () => {
    const gate = harness({ capacity: 1, memorySize: 2 });
    for (const id of ['a', 'b', 'c']) {
      gate.send({ type: 'JOB_OFFERED', job: job(id) });
      gate.send({ type: 'JOB_SETTLED', jobId: id, fenceToken: 0 });
    }
    gate.send({ type: 'JOB_OFFERED', job: job('a') });
    gate.send({ type: 'JOB_SETTLED', jobId: 'a', fenceToken: 0 });
    gate.send({ type: 'JOB_OFFERED', job: job('c') });
    expect(gate.started()).toEqual(['a', 'b', 'c', 'a']);
  });

  it('pauses above the pause threshold and resumes at or below the resume threshold, once each', () => {
    const gate = harness({ capacity: 1, pauseThreshold: 2, resumeThreshold: 1 });
    for (const waiting of [0, 2, 3, 5, 4, 2, 1, 0, 0, 3]) {
      gate.send({ type: 'BACKPRESSURE_READING', waiting });
    }
    expect(gate.frames).toEqual([{ type: 'pause' }, { type: 'resume' }, { type: 'pause' }]);
    expect(gate.state()).toBe('paused');
  });

  it('still runs a job the queue sent before it saw the pause', () => {
    const gate = harness({ capacity: 1 });
    gate.send({ type: 'PAUSE_REQUESTED' });
    gate.send({ type: 'JOB_OFFERED', job: job('a') });
    expect(gate.started()).toEqual(['a']);
  });

  it('drains: sends drain, refuses new and waiting jobs, reports drained after the last settles', () => {
    const gate = harness({ capacity: 1 });
    gate.send({ type: 'JOB_OFFERED', job: job('a') });
    gate.send({ type: 'JOB_OFFERED', job: job('b') });
    gate.send({ type: 'DRAIN' });
    gate.send({ type: 'JOB_OFFERED', job: job('c', 9, 'persisted') });
    expect(gate.frames).toEqual([{ type: 'drain' }]);
    const refused = gate.notices.filter((n) => n.type === 'REFUSE_JOBS');
    expect(refused.map((n) => n.jobs.map((j: JobFrame) => j.job_id))).toEqual([['b'], ['c']]);
    expect(gate.state()).toBe('draining');
    gate.send({ type: 'JOB_SETTLED', jobId: 'a', fenceToken: 0 });
    expect(gate.state()).toBe('drained');
    expect(gate.notices.at(-1)).toEqual({ type: 'GATE_DRAINED' });
    expect(gate.started()).toEqual(['a']);
  });

  it('is drained at once when nothing runs, and says so again when asked again', () => {
    const gate = harness({ capacity: 1 });
    gate.send({ type: 'DRAIN' });
    gate.send({ type: 'DRAIN' });
    expect(gate.notices.filter((n) => n.type === 'GATE_DRAINED')).toHaveLength(2);
    expect(gate.frames).toEqual([{ type: 'drain' }]);
  });
});
