import { describe, expect, it } from 'vitest';
import { type AnyEventObject, createActor, fromCallback, sendParent, setup } from 'xstate';
import { type GateInput, gateMachine } from '../../../machines/gate.machine.ts';
import type { JobFrame, LogParams, OutboundFrame } from '../../../machines/types.ts';
import { jobFrame } from '../../support/job-frame.ts';

/**
 * The gate under a parent that records its notices, beside a connection that records frames;
 * its jobs are stand-ins that record their start and end when told to.
 */
function harness(input: GateInput) {
  const notices: AnyEventObject[] = [];
  const frames: OutboundFrame[] = [];
  const logs: LogParams[] = [];
  const started: string[] = [];
  const connection = fromCallback<{ type: 'SEND'; frame: OutboundFrame }>(({ receive }) => {
    receive((event) => frames.push(event.frame));
  });
  const job = setup({ types: { input: {} as { job: JobFrame } } }).createMachine({
    context: ({ input: { job } }) => {
      started.push(job.job_id);
      return { job };
    },
    on: {
      FINISH: {
        actions: sendParent(({ context }) => ({
          type: 'JOB_ENDED',
          state: 'result',
          jobId: context.job.job_id,
          fenceToken: context.job.fence_token,
          outcome: { kind: 'result', delivery: 'inline' },
          endedAt: Date.now(),
        })),
      },
    },
  });
  const gate = gateMachine.provide({
    // The stand-in runs every job, persisted (the job machine's place) and transient (the light one's).
    actors: { job: job as never, lightJob: job as never },
    actions: { log: (_, params) => logs.push(...[params].flat()) },
  });
  const parent = setup({ actors: { gate, connection } }).createMachine({
    invoke: [
      { id: 'connection', systemId: 'connection', src: 'connection' },
      { id: 'gate', systemId: 'gate', src: 'gate', input },
    ],
    on: { '*': { actions: ({ event }) => notices.push(event) } },
  });
  const actor = createActor(parent).start();
  const ref = actor.system.get('gate')!;
  return {
    notices,
    frames,
    logs,
    started,
    send: (event: AnyEventObject) => ref.send(event),
    /** The running job `id` finishes (its late copy, after a supersession, too). */
    finish: (id: string) => ref.getSnapshot().children[`job:${id}`]?.send({ type: 'FINISH' }),
    state: () => ref.getSnapshot().value as string,
    running: () => Object.keys(ref.getSnapshot().context.running),
    refusedTransient: () =>
      frames.filter((f) => f.type === 'job_error').map((f) => (f as { job_id: string }).job_id),
  };
}

const job = (id: string, fence = 0, mode: JobFrame['mode'] = 'transient') =>
  jobFrame(id, fence, mode);

describe('gate', () => {
  it('starts jobs up to capacity, queues as many more, and refuses the rest', () => {
    const gate = harness({ capacity: 2 });
    for (const id of ['a', 'b', 'c', 'd', 'e']) gate.send({ type: 'JOB_OFFERED', job: job(id) });
    expect(gate.started).toEqual(['a', 'b']);
    expect(gate.frames).toEqual([
      {
        type: 'job_error',
        job_id: 'e',
        error: 'worker at capacity: every slot and waiting place is taken',
        fence_token: 0,
      },
    ]);
    gate.finish('a');
    expect(gate.started).toEqual(['a', 'b', 'c']);
    gate.finish('b');
    expect(gate.started).toEqual(['a', 'b', 'c', 'd']);
    expect(gate.running()).toEqual(['c', 'd']);
  });

  it('leaves a persisted job it cannot take to its lease: logged, never answered', () => {
    const gate = harness({ capacity: 1 });
    for (const id of ['a', 'b', 'c'])
      gate.send({ type: 'JOB_OFFERED', job: job(id, 1, 'persisted') });
    expect(gate.frames).toEqual([]);
    expect(gate.logs.map((l) => l.message)).toContain(
      'worker at capacity: every slot and waiting place is taken; left to its lease',
    );
  });

  it('ignores a re-delivered job that runs, waits or recently settled under the same token', () => {
    const gate = harness({ capacity: 1 });
    gate.send({ type: 'JOB_OFFERED', job: job('a', 3, 'persisted') });
    gate.send({ type: 'JOB_OFFERED', job: job('a', 3, 'persisted') });
    gate.send({ type: 'JOB_OFFERED', job: job('b', 4, 'persisted') });
    gate.send({ type: 'JOB_OFFERED', job: job('b', 4, 'persisted') });
    gate.finish('a');
    gate.send({ type: 'JOB_OFFERED', job: job('a', 3, 'persisted') });
    gate.send({ type: 'JOB_OFFERED', job: job('a', 2, 'persisted') });
    expect(gate.started).toEqual(['a', 'b']);
  });

  it('supersedes a run when the same job comes with a higher fence token', () => {
    const gate = harness({ capacity: 1 });
    gate.send({ type: 'JOB_OFFERED', job: job('a', 1, 'persisted') });
    gate.send({ type: 'JOB_OFFERED', job: job('a', 5, 'persisted') });
    expect(gate.started).toEqual(['a', 'a']);
    expect(gate.logs.find((l) => l.fields?.outcome === 'superseded')?.fields).toMatchObject({
      job_id: 'a',
      mode: 'persisted',
    });
    // The old run's late end does not free the new run's slot.
    gate.send({
      type: 'JOB_ENDED',
      state: 'superseded',
      jobId: 'a',
      fenceToken: 1,
      outcome: { kind: 'aborted', reason: 'superseded' },
      endedAt: Date.now(),
    });
    gate.send({ type: 'JOB_OFFERED', job: job('b', 6, 'persisted') });
    expect(gate.started).toEqual(['a', 'a']);
    expect(gate.running()).toEqual(['a']);
  });

  it('drops a revoked job from the waiting line, and ignores a late copy of its frame', () => {
    const gate = harness({ capacity: 1 });
    gate.send({ type: 'JOB_OFFERED', job: job('a', 1, 'persisted') });
    gate.send({ type: 'JOB_OFFERED', job: job('b', 2, 'persisted') });
    gate.send({ type: 'JOB_REVOKED', jobId: 'b' });
    gate.finish('a');
    gate.send({ type: 'JOB_OFFERED', job: job('b', 2, 'persisted') });
    expect(gate.started).toEqual(['a']);
    // A new dispatch of the revoked job (higher token) runs.
    gate.send({ type: 'JOB_OFFERED', job: job('b', 3, 'persisted') });
    expect(gate.started).toEqual(['a', 'b']);
  });

  it('forgets the oldest settled jobs beyond its memory', () => {
    const gate = harness({ capacity: 1, memorySize: 2 });
    for (const id of ['a', 'b', 'c']) {
      gate.send({ type: 'JOB_OFFERED', job: job(id) });
      gate.finish(id);
    }
    gate.send({ type: 'JOB_OFFERED', job: job('a') });
    gate.finish('a');
    gate.send({ type: 'JOB_OFFERED', job: job('c') });
    expect(gate.started).toEqual(['a', 'b', 'c', 'a']);
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
    expect(gate.started).toEqual(['a']);
  });

  it('gives up the waiting line with the running jobs when vLLM stays unhealthy', () => {
    const gate = harness({ capacity: 2 });
    for (const offered of [job('a'), job('b'), job('c'), job('d', 4, 'persisted')]) {
      gate.send({ type: 'JOB_OFFERED', job: offered });
    }
    gate.send({ type: 'ENGINE_UNHEALTHY' });
    gate.send({ type: 'ABANDON_JOBS', message: 'vLLM unhealthy for 60 s' });
    gate.finish('a');
    gate.finish('b');
    expect(gate.started).toEqual(['a', 'b']);
    // The transient waiting job is answered; the persisted one is left to its lease.
    expect(gate.frames.filter((f) => f.type === 'job_error')).toEqual([
      {
        type: 'job_error',
        job_id: 'c',
        error: 'vLLM is unhealthy (its /health fails): the job was not started',
        fence_token: 0,
      },
    ]);
    gate.send({ type: 'ENGINE_RECOVERED' });
    expect(gate.started).toEqual(['a', 'b']);
  });

  it('starts no waiting job while vLLM is unhealthy, and starts it once vLLM recovers', () => {
    const gate = harness({ capacity: 1 });
    gate.send({ type: 'JOB_OFFERED', job: job('a') });
    gate.send({ type: 'JOB_OFFERED', job: job('b') });
    gate.send({ type: 'ENGINE_UNHEALTHY' });
    gate.finish('a');
    expect(gate.started).toEqual(['a']);
    gate.send({ type: 'ENGINE_RECOVERED' });
    expect(gate.started).toEqual(['a', 'b']);
    expect(gate.running()).toEqual(['b']);
  });

  it('drains: sends drain, refuses new and waiting jobs, reports drained after the last ends', () => {
    const gate = harness({ capacity: 1 });
    gate.send({ type: 'JOB_OFFERED', job: job('a') });
    gate.send({ type: 'JOB_OFFERED', job: job('b') });
    gate.send({ type: 'DRAIN' });
    gate.send({ type: 'JOB_OFFERED', job: job('c', 9, 'persisted') });
    gate.send({ type: 'JOB_OFFERED', job: job('d') });
    expect(gate.frames.map((f) => f.type).sort()).toEqual(['drain', 'job_error', 'job_error']);
    expect(gate.refusedTransient()).toEqual(['b', 'd']);
    const refused = gate.logs.filter((l) => l.fields?.reason === 'draining');
    expect(refused.map((l) => l.fields?.job_id)).toEqual(['b', 'c', 'd']);
    expect(gate.state()).toBe('draining');
    gate.finish('a');
    expect(gate.state()).toBe('drained');
    expect(gate.notices.at(-1)).toEqual({ type: 'GATE_DRAINED' });
    expect(gate.started).toEqual(['a']);
  });

  it('is drained at once when nothing runs, and says so again when asked again', () => {
    const gate = harness({ capacity: 1 });
    gate.send({ type: 'DRAIN' });
    gate.send({ type: 'DRAIN' });
    expect(gate.notices.filter((n) => n.type === 'GATE_DRAINED')).toHaveLength(2);
    expect(gate.frames).toEqual([{ type: 'drain' }]);
  });
});
