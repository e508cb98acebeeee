/**
 * The SDK worker's jobs against the local queue: leases and renewals, revocation, offload,
 * payload_url, re-delivery, supersession, capacity, drain, and fence tokens on every frame.
 */
import { describe, expect, it } from 'vitest';
import type { AnyActorRef } from 'xstate';
import { JobAbortedError } from '../../../src/errors.ts';
import { type EventOf, eventIs, type LocalQueue } from '../../../src/tools/queue/index.ts';
import { useQueueHarness } from '../../support/queue-harness.ts';
import { deferred, until, useSdkWorkers } from '../../support/sdk-worker.ts';

const queues = useQueueHarness();
const workers = useSdkWorkers();

const framesAbout = (queue: LocalQueue, jobId: string) =>
  queue.events
    .filter(eventIs('frame_in', (e) => 'job_id' in e.frame && e.frame.job_id === jobId))
    .map((e) => e.frame);

const renewalsOf = (queue: LocalQueue, jobId: string) =>
  framesAbout(queue, jobId).filter((frame) => frame.type === 'job_progress');

describe('SDK jobs', () => {
  it('renews a persisted job every interval with its fence token, and a transient one never', async () => {
    const queue = await queues.start();
    const release = deferred<unknown>();
    const worker = await workers.start(queue, {
      capacity: 2,
      timings: { renewIntervalMs: 40 },
      onJob: () => release.promise,
    });
    const persisted = queue.createJob({ payload: { p: 1 }, mode: 'persisted' });
    const transient = queue.createJob({ payload: { t: 1 }, mode: 'transient' });
    await until(() => renewalsOf(queue, persisted.jobId).length >= 3, 5_000, 'three renewals');
    release.resolve({ ok: true });
    await Promise.all([persisted.outcome, transient.outcome]);
    const token = queue.getJob(persisted.jobId)!.fence_token;
    expect(token).toBeGreaterThan(0);
    for (const renewal of renewalsOf(queue, persisted.jobId)) {
      expect(renewal).toEqual({
        type: 'job_progress',
        job_id: persisted.jobId,
        fence_token: token,
        status_message: 'processing',
      });
    }
    expect(renewalsOf(queue, transient.jobId)).toEqual([]);
    expect(framesAbout(queue, persisted.jobId).at(-1)).toEqual({
      type: 'job_result',
      job_id: persisted.jobId,
      result: { ok: true },
      fence_token: token,
    });
    expect(framesAbout(queue, transient.jobId)).toEqual([
      { type: 'job_result', job_id: transient.jobId, result: { ok: true }, fence_token: 0 },
    ]);
    expect(worker.state().jobs).toEqual({});
  });

  it('sends no renewal for a job that finishes before the first one is due', async () => {
    const queue = await queues.start();
    await workers.start(queue, { timings: { renewIntervalMs: 60_000 } });
    const job = queue.createJob({ payload: { quick: true }, mode: 'persisted' });
    await job.outcome;
    expect(renewalsOf(queue, job.jobId)).toEqual([]);
  });

  it('keeps renewing while draining, until the job is done', async () => {
    const queue = await queues.start();
    const release = deferred<unknown>();
    const worker = await workers.start(queue, {
      timings: { renewIntervalMs: 40 },
      onJob: () => release.promise,
    });
    const job = queue.createJob({ payload: {}, mode: 'persisted' });
    await until(() => worker.calls.length === 1, 5_000, 'the job to start');
    const drained = worker.drain();
    const drainSeen = await queue.events.waitFor(
      eventIs('frame_in', (e) => e.frame.type === 'drain'),
    );
    await queue.events.waitFor(
      eventIs('frame_in', (e) => e.seq > drainSeen.seq && e.frame.type === 'job_progress'),
    );
    release.resolve('done');
    await drained;
    expect(await job.outcome).toEqual({ status: 'completed', result: 'done' });
  });

  it('aborts a running handler with reason shutdown when the worker actor is stopped outright', async () => {
    const queue = await queues.start();
    const started = deferred();
    const worker = await workers.start(queue, {
      onJob: (_, context) =>
        new Promise((_, reject) => {
          started.resolve();
          context.signal.addEventListener('abort', () => reject(context.signal.reason));
        }),
    });
    queue.createJob({ payload: { wait: true }, mode: 'transient' });
    await started.promise;
    worker.actor.stop();
    await until(() => worker.calls[0]?.abortReason !== undefined, 5_000, 'the abort');
    expect((worker.calls[0]!.abortReason as JobAbortedError).reason).toBe('shutdown');
  });

  it('aborts the handler on job_revoked with reason revoked, and sends nothing more for it', async () => {
    const queue = await queues.start();
    const worker = await workers.start(queue, {
      timings: { renewIntervalMs: 30 },
      onJob: (job, context) =>
        (job.payload as { wait?: boolean }).wait
          ? new Promise((_, reject) => {
              context.signal.addEventListener('abort', () => reject(context.signal.reason));
            })
          : 'next',
    });
    const job = queue.createJob({ payload: { wait: true }, mode: 'persisted' });
    await until(() => renewalsOf(queue, job.jobId).length >= 1, 5_000, 'a renewal');
    queue.faults.revokeJob(job.jobId, { reason: 'cancelled by user' });
    await until(() => worker.calls[0]?.abortReason !== undefined, 5_000, 'the abort');
    const reason = worker.calls[0]!.abortReason as JobAbortedError;
    expect(reason).toBeInstanceOf(JobAbortedError);
    expect(reason.reason).toBe('revoked');
    const framesAtRevoke = framesAbout(queue, job.jobId).length;
    // Another job through the same worker proves the worker moved on.
    const next = queue.createJob({ payload: { n: 2 }, mode: 'persisted' });
    await next.outcome;
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(framesAbout(queue, job.jobId)).toHaveLength(framesAtRevoke);
    expect(queue.getJob(job.jobId)).toMatchObject({
      status: 'failed',
      error: 'revoked: cancelled by user',
    });
  });

  it('aborts a superseded run (reason superseded) and runs the newer dispatch', async () => {
    const queue = await queues.start({ leaseMs: 150 });
    const first = deferred<unknown>();
    const worker = await workers.start(queue, {
      timings: { renewIntervalMs: 60_000 },
      onJob: (job) =>
        job.fenceToken === worker.calls[0]?.job.fenceToken ? first.promise : { second: true },
    });
    const job = queue.createJob({ payload: {}, mode: 'persisted' });
    // No renewals: the lease expires and the queue re-dispatches under a higher token; the
    // revocation goes to the old holder, which is this same worker.
    expect(await job.outcome).toEqual({ status: 'completed', result: { second: true } });
    expect(worker.calls).toHaveLength(2);
    expect(worker.calls[1]!.job.fenceToken).toBeGreaterThan(worker.calls[0]!.job.fenceToken);
    expect((worker.calls[0]!.abortReason as JobAbortedError).reason).toMatch(/revoked|superseded/);
    first.resolve({ late: true });
    await new Promise((resolve) => setTimeout(resolve, 50));
    const results = framesAbout(queue, job.jobId).filter((f) => f.type === 'job_result');
    expect(results).toEqual([
      {
        type: 'job_result',
        job_id: job.jobId,
        result: { second: true },
        fence_token: worker.calls[1]!.job.fenceToken,
      },
    ]);
  });

  it('supersedes on a duplicate frame with a higher token even without a revocation', async () => {
    const queue = await queues.start();
    const runs: Array<ReturnType<typeof deferred<unknown>>> = [];
    const worker = await workers.start(queue, {
      workerId: 'w-sup',
      onJob: () => {
        const run = deferred<unknown>();
        runs.push(run);
        return run.promise;
      },
    });
    const frame = (token: number) =>
      JSON.stringify({
        type: 'job',
        job_id: 'j-sup',
        mode: 'persisted',
        config_id: 'cfg',
        fence_token: token,
        payload: {},
      });
    queue.faults.sendRaw('w-sup', frame(5));
    await until(() => worker.calls.length === 1, 5_000, 'the first run');
    queue.faults.sendRaw('w-sup', frame(5));
    queue.faults.sendRaw('w-sup', frame(9));
    await until(() => worker.calls.length === 2, 5_000, 'the second run');
    expect((worker.calls[0]!.abortReason as JobAbortedError).reason).toBe('superseded');
    runs[0]!.resolve('stale');
    runs[1]!.resolve('fresh');
    await queue.events.waitFor(eventIs('frame_in', (e) => e.frame.type === 'job_result'));
    await new Promise((resolve) => setTimeout(resolve, 50));
    const results = framesAbout(queue, 'j-sup').filter((f) => f.type !== 'job_progress');
    expect(results).toEqual([
      { type: 'job_result', job_id: 'j-sup', result: 'fresh', fence_token: 9 },
    ]);
    expect(worker.calls.map((c) => c.job.fenceToken)).toEqual([5, 9]);
  });

  it('runs a duplicated job frame once and answers it once', async () => {
    const queue = await queues.start();
    const worker = await workers.start(queue, { workerId: 'w-dup', capacity: 4 });
    queue.faults.duplicateNextFrames('w-dup', 2);
    const persisted = queue.createJob({ payload: { a: 1 }, mode: 'persisted' });
    const transient = queue.createJob({ payload: { b: 1 }, mode: 'transient' });
    await Promise.all([persisted.outcome, transient.outcome]);
    // Re-deliveries of settled jobs too.
    queue.faults.sendRaw(
      'w-dup',
      JSON.stringify({ type: 'job', job_id: transient.jobId, config_id: 'cfg', payload: {} }),
    );
    const later = queue.createJob({ payload: { c: 1 }, mode: 'transient' });
    await later.outcome;
    expect(worker.calls.map((c) => c.job.id).sort()).toEqual(
      [persisted.jobId, transient.jobId, later.jobId].sort(),
    );
    for (const id of [persisted.jobId, transient.jobId]) {
      expect(framesAbout(queue, id).filter((f) => f.type === 'job_result')).toHaveLength(1);
    }
    expect(queue.events.filter(eventIs('outcome_rejected'))).toEqual([]);
  });

  it('offloads a result over 256 KiB with a real PUT and job_result_ref', async () => {
    const queue = await queues.start({ resultUploadUrls: true });
    await workers.start(queue, { onJob: () => ({ blob: 'x'.repeat(300 * 1024) }) });
    const job = queue.createJob({ payload: {}, mode: 'persisted' });
    expect(await job.outcome).toEqual({
      status: 'completed',
      result: { blob: 'x'.repeat(300 * 1024) },
    });
    const put = queue.events.filter(eventIs('offload_put'));
    expect(put).toMatchObject([{ jobId: job.jobId, status: 200 }]);
    expect(put[0]!.bytes).toBeGreaterThan(256 * 1024);
    const frames = framesAbout(queue, job.jobId);
    expect(frames).toEqual([
      {
        type: 'job_result_ref',
        job_id: job.jobId,
        fence_token: queue.getJob(job.jobId)!.fence_token,
      },
    ]);
  });

  it('sends a result of 256 KiB or less inline even with an upload URL', async () => {
    const queue = await queues.start({ resultUploadUrls: true });
    await workers.start(queue, { onJob: () => 'y'.repeat(1_000) });
    const job = queue.createJob({ payload: {}, mode: 'persisted' });
    await job.outcome;
    expect(queue.events.filter(eventIs('offload_put'))).toEqual([]);
    expect(framesAbout(queue, job.jobId).map((f) => f.type)).toEqual(['job_result']);
  });

  it.each([
    ['fails (HTTP 500)', (queue: LocalQueue) => queue.faults.failNextResultPut()],
    ['hangs', (queue: LocalQueue) => queue.faults.hangNextResultPut()],
  ])('falls back to sending the result inline when the upload %s', async (_name, fault) => {
    const queue = await queues.start({ resultUploadUrls: true });
    await workers.start(queue, {
      timings: { uploadTimeoutMs: 200 },
      onJob: () => ({ blob: 'z'.repeat(300 * 1024) }),
    });
    fault(queue);
    const job = queue.createJob({ payload: {}, mode: 'persisted' });
    expect(await job.outcome).toMatchObject({ status: 'completed' });
    const types = framesAbout(queue, job.jobId).map((f) => f.type);
    expect(types).toEqual(['job_result']);
  });

  it('fetches an offloaded payload from payload_url before running the job', async () => {
    const queue = await queues.start();
    const worker = await workers.start(queue);
    const job = queue.createJob({
      payload: { big: 'p'.repeat(1_000) },
      mode: 'persisted',
      offload: true,
    });
    expect(await job.outcome).toEqual({
      status: 'completed',
      result: { echo: { big: 'p'.repeat(1_000) } },
    });
    expect(queue.events.filter(eventIs('offload_get'))).toMatchObject([
      { jobId: job.jobId, status: 200 },
    ]);
    expect(worker.calls[0]!.job.payload).toEqual({ big: 'p'.repeat(1_000) });
  });

  it('fails the job with a clear job_error when payload_url cannot be fetched, without running it', async () => {
    const queue = await queues.start();
    const worker = await workers.start(queue);
    queue.faults.failNextPayloadGet();
    const job = queue.createJob({ payload: { x: 1 }, mode: 'persisted', offload: true });
    const outcome = await job.outcome;
    expect(outcome).toMatchObject({ status: 'failed' });
    expect(outcome.status === 'failed' && outcome.error).toBe(
      "could not fetch the job's payload from payload_url: HTTP 500",
    );
    expect(worker.calls).toEqual([]);
  });

  it('never runs more than capacity jobs, lets as many wait, and refuses a transient job beyond', async () => {
    const queue = await queues.start();
    const release = deferred<unknown>();
    let running = 0;
    let peak = 0;
    const worker = await workers.start(queue, {
      workerId: 'w-cap',
      capacity: 2,
      onJob: async () => {
        peak = Math.max(peak, ++running);
        await release.promise;
        running--;
        return 'ok';
      },
    });
    const frame = (id: string) =>
      JSON.stringify({ type: 'job', job_id: id, config_id: 'cfg', payload: {} });
    for (const id of ['c1', 'c2', 'c3', 'c4', 'c5']) queue.faults.sendRaw('w-cap', frame(id));
    const refusal = await queue.events.waitFor(
      eventIs('frame_in', (e) => e.frame.type === 'job_error'),
    );
    expect(refusal.frame).toEqual({
      type: 'job_error',
      job_id: 'c5',
      error: 'worker at capacity: every slot and waiting place is taken',
      fence_token: 0,
    });
    expect(worker.calls.map((c) => c.job.id)).toEqual(['c1', 'c2']);
    release.resolve(undefined);
    await until(() => worker.calls.length === 4, 5_000, 'the waiting jobs to run');
    expect(peak).toBe(2);
    expect(worker.calls.map((c) => c.job.id)).toEqual(['c1', 'c2', 'c3', 'c4']);
  });

  it('drains: refuses jobs that arrive, waits for running ones, then reports drained', async () => {
    const queue = await queues.start();
    const release = deferred<unknown>();
    const worker = await workers.start(queue, {
      workerId: 'w-drain',
      onJob: () => release.promise,
    });
    const running = queue.createJob({ payload: {}, mode: 'persisted' });
    await until(() => worker.calls.length === 1, 5_000, 'the job to start');
    let drained = false;
    const draining = worker.drain().then(() => {
      drained = true;
    });
    await queue.events.waitFor(eventIs('frame_in', (e) => e.frame.type === 'drain'));
    queue.faults.sendRaw(
      'w-drain',
      JSON.stringify({ type: 'job', job_id: 'late-t', config_id: 'cfg', payload: {} }),
    );
    queue.faults.sendRaw(
      'w-drain',
      JSON.stringify({
        type: 'job',
        job_id: 'late-p',
        mode: 'persisted',
        config_id: 'cfg',
        fence_token: 99,
        payload: {},
      }),
    );
    const refusal = await queue.events.waitFor(
      eventIs('frame_in', (e) => e.frame.type === 'job_error'),
    );
    expect(refusal.frame).toMatchObject({ job_id: 'late-t', fence_token: 0 });
    expect(drained).toBe(false);
    release.resolve('finished');
    await draining;
    expect(await running.outcome).toEqual({ status: 'completed', result: 'finished' });
    expect(worker.calls.map((c) => c.job.id)).toEqual([running.jobId]);
    expect(framesAbout(queue, 'late-p')).toEqual([]);
    expect(worker.state().gate).toBe('drained');
  });

  it("runs jobs whose ids name the worker's own children or targets xstate reserves", async () => {
    const queue = await queues.start();
    const worker = await workers.start(queue, {
      workerId: 'w-ids',
      onJob: (job, context) =>
        job.id === '#_internal'
          ? new Promise((_, reject) => {
              context.signal.addEventListener('abort', () => reject(context.signal.reason));
            })
          : { ran: job.id },
    });
    const frame = (id: string, mode: string) =>
      JSON.stringify({
        type: 'job',
        job_id: id,
        mode,
        config_id: 'cfg',
        fence_token: 1,
        payload: {},
      });
    const resultsFor = (id: string) =>
      framesAbout(queue, id).filter((f) => f.type === 'job_result');
    for (const id of ['gate', 'connection', 'engine', '#_parent']) {
      queue.faults.sendRaw('w-ids', frame(id, 'persisted'));
      await until(() => resultsFor(id).length === 1, 5_000, `the result of job ${id}`);
    }
    // The gate, the connection and the worker are still the ones they were.
    const after = queue.createJob({ payload: {}, mode: 'persisted' });
    await expect(after.outcome).resolves.toMatchObject({ status: 'completed' });
    // A revocation reaches the job it names, not the worker.
    queue.faults.sendRaw('w-ids', frame('#_internal', 'persisted'));
    await until(() => worker.calls.some((c) => c.job.id === '#_internal'), 5_000, 'the job');
    queue.faults.sendRaw(
      'w-ids',
      JSON.stringify({ type: 'job_revoked', job_id: '#_internal', reason: 'cancelled' }),
    );
    await until(
      () => worker.calls.find((c) => c.job.id === '#_internal')?.abortReason !== undefined,
      5_000,
      'the abort',
    );
    await worker.stop();
    expect(resultsFor('#_internal')).toEqual([]);
    expect(worker.actor.getSnapshot().output).toMatchObject({ exitCode: 0 });
  });

  it.each(['transient', 'persisted'] as const)(
    'answers a %s job whose result or thrown value is not JSON with a job_error, and runs on',
    async (mode) => {
      const queue = await queues.start();
      const circular: Record<string, unknown> = {};
      circular.self = circular;
      const outcomes: Record<string, () => unknown> = {
        bigint: () => 10n,
        circular: () => circular,
        function: () => () => 1,
        throwsBigint: () => {
          throw 10n;
        },
        throwsCircular: () => {
          throw circular;
        },
      };
      await workers.start(queue, {
        capacity: 2,
        onJob: (job) => outcomes[(job.payload as { kind: string }).kind]?.() ?? { ok: true },
      });
      for (const kind of Object.keys(outcomes)) {
        const job = queue.createJob({ payload: { kind }, mode });
        await expect(job.outcome, kind).resolves.toMatchObject({ status: 'failed' });
      }
      const errors = queue.events
        .filter(eventIs('frame_in', (e) => e.frame.type === 'job_error'))
        .map((e) => (e.frame as { error: string }).error);
      expect(errors).toEqual([
        expect.stringContaining('could not be sent as JSON: Do not know how to serialize a BigInt'),
        expect.stringContaining('could not be sent as JSON: Converting circular structure to JSON'),
        expect.stringContaining(
          'could not be sent as JSON: result: is required, as JSON (not a function or a symbol)',
        ),
        '10',
        '[object Object]',
      ]);
      const next = queue.createJob({ payload: { kind: 'ok' }, mode });
      await expect(next.outcome).resolves.toEqual({ status: 'completed', result: { ok: true } });
    },
  );

  it('reports a failing handler as job_error with its message and the job fence token', async () => {
    const queue = await queues.start();
    await workers.start(queue, {
      onJob: () => {
        throw new Error('model said no');
      },
    });
    const persisted = queue.createJob({ payload: {}, mode: 'persisted' });
    const transient = queue.createJob({ payload: {}, mode: 'transient' });
    expect(await persisted.outcome).toMatchObject({ status: 'failed', error: 'model said no' });
    expect(await transient.outcome).toMatchObject({ status: 'failed', error: 'model said no' });
    expect(framesAbout(queue, persisted.jobId)).toEqual([
      {
        type: 'job_error',
        job_id: persisted.jobId,
        error: 'model said no',
        fence_token: queue.getJob(persisted.jobId)!.fence_token,
      },
    ]);
    expect(framesAbout(queue, transient.jobId)).toEqual([
      { type: 'job_error', job_id: transient.jobId, error: 'model said no', fence_token: 0 },
    ]);
  });

  it('reports progress from the handler; for a persisted job it carries the fence token', async () => {
    const queue = await queues.start();
    await workers.start(queue, {
      onJob: (_job, context) => {
        context.progress(0.5, 'half way');
        return 'done';
      },
    });
    const job = queue.createJob({ payload: {}, mode: 'persisted' });
    await job.outcome;
    const token = queue.getJob(job.jobId)!.fence_token;
    expect(framesAbout(queue, job.jobId)).toEqual([
      {
        type: 'job_progress',
        job_id: job.jobId,
        fence_token: token,
        progress: 0.5,
        status_message: 'half way',
      },
      { type: 'job_result', job_id: job.jobId, result: 'done', fence_token: token },
    ]);
  });

  it('completes 2 000 jobs at capacity 8 with every result accepted exactly once', async () => {
    const queue = await queues.start();
    await workers.start(queue, { capacity: 8, onJob: (job) => job.payload });
    const jobs = Array.from({ length: 2_000 }, (_, i) =>
      queue.createJob({ payload: { i }, mode: i % 2 === 0 ? 'persisted' : 'transient' }),
    );
    const outcomes = await Promise.all(jobs.map((job) => job.outcome));
    expect(
      outcomes.every((o, i) => o.status === 'completed' && (o.result as { i: number }).i === i),
    ).toBe(true);
    const accepted = queue.events.filter(eventIs('outcome_accepted'));
    expect(accepted).toHaveLength(2_000);
    expect(new Set(accepted.map((e: EventOf<'outcome_accepted'>) => e.jobId)).size).toBe(2_000);
    expect(queue.events.filter(eventIs('outcome_rejected'))).toEqual([]);
  });

  it('gives the jobs’ owner (the gate) no event named after a job, whose memo would grow with every job', async () => {
    // xstate memoizes each state node's transition candidates per event type and never forgets
    // them: an event type per job (a lease's `xstate.done.actor.<job id>`) leaked memory.
    const queue = await queues.start();
    const seen = new Set<string>();
    await workers.start(queue, {
      capacity: 2,
      onJob: (job) => job.payload,
      inspect: (event) => {
        if (event.type === '@xstate.event' && (event.actorRef as AnyActorRef).id === 'gate') {
          seen.add(event.event.type);
        }
      },
    });
    const jobs = Array.from({ length: 6 }, (_, i) =>
      queue.createJob({ payload: { i }, mode: i % 2 === 0 ? 'persisted' : 'transient' }),
    );
    await Promise.all(jobs.map((job) => job.outcome));
    expect(seen).toContain('JOB_ENDED');
    const named = [...seen].filter((type) => jobs.some((job) => type.includes(job.jobId)));
    expect(named).toEqual([]);
  });
});
