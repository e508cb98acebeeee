import { describe, expect, it } from 'vitest';
import { eventIs } from '../../../../src/tools/queue/index.ts';
import { dispatchTwice, useQueueHarness } from '../../../support/queue-harness.ts';

const harness = useQueueHarness();

describe('leases of persisted jobs', () => {
  it('keeps a job whose lease is renewed by job_progress with its token', async () => {
    const queue = await harness.start({ leaseMs: 300 });
    const worker = await harness.worker(queue, 'w1');
    const { jobId } = queue.createJob({ payload: {} });
    const job = await worker.waitForFrame('job');
    // Renew until a full lease term has passed since dispatch, then finish the job.
    const dispatchedAt = queue.events.filter(eventIs('job_dispatched'))[0]!.time;
    let renewals = 0;
    while (Date.now() - dispatchedAt < 450 && renewals < 20) {
      const renewed = queue.events.waitFor(eventIs('lease_renewed'), {
        after: queue.events.lastSeq,
      });
      worker.send({
        type: 'job_progress',
        job_id: jobId,
        fence_token: job.fence_token,
        status_message: 'processing',
      });
      await renewed;
      renewals += 1;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    worker.send({
      type: 'job_result',
      job_id: jobId,
      result: 'done',
      fence_token: job.fence_token,
    });
    await queue.events.waitFor(eventIs('outcome_accepted'));
    expect(queue.events.filter(eventIs('lease_expired'))).toEqual([]);
    expect(queue.getJob(jobId)).toMatchObject({ status: 'completed', attempts: 1 });
    expect(worker.frames('job_revoked')).toEqual([]);
  });

  it('re-dispatches an expired job with a higher token and revokes the old holder', async () => {
    const queue = await harness.start({ leaseMs: 250 });
    const a = await harness.worker(queue, 'a');
    const { jobId, outcome } = queue.createJob({ payload: { n: 1 } });
    const first = await a.waitForFrame('job');
    const b = await harness.worker(queue, 'b');
    await queue.events.waitFor(eventIs('lease_expired', (event) => event.jobId === jobId));
    expect(await a.waitForFrame('job_revoked')).toEqual({
      type: 'job_revoked',
      job_id: jobId,
      reason: 'lease expired',
    });
    const redispatched = await queue.events.waitFor(
      eventIs('job_dispatched', (event) => event.jobId === jobId && event.attempt === 2),
    );
    expect(redispatched.fenceToken).toBeGreaterThan(first.fence_token);
    const holder = redispatched.workerId === 'a' ? a : b;
    const second = await holder.waitForFrame(
      'job',
      (frame) => frame.fence_token === redispatched.fenceToken,
    );

    a.send({ type: 'job_result', job_id: jobId, result: 'stale', fence_token: first.fence_token });
    const refusal = await a.waitForFrame('error', (frame) => frame.message.includes('stale'));
    expect(refusal.message).toContain(jobId);
    expect(refusal.message).toContain(`stale fence token ${first.fence_token}`);
    expect(refusal.message).toContain(`current token is ${second.fence_token}`);
    holder.send({
      type: 'job_result',
      job_id: jobId,
      result: 'fresh',
      fence_token: second.fence_token,
    });
    expect(await outcome).toEqual({ status: 'completed', result: 'fresh' });
  });

  it('never lets a stale or second outcome overwrite an accepted one', async () => {
    const queue = await harness.start();
    const worker = await harness.worker(queue, 'w1');
    const { jobId, first, second } = await dispatchTwice(queue, worker);
    worker.send({
      type: 'job_result',
      job_id: jobId,
      result: 'new',
      fence_token: second.fence_token,
    });
    worker.send({ type: 'job_error', job_id: jobId, error: 'old', fence_token: first.fence_token });
    worker.send({
      type: 'job_result',
      job_id: jobId,
      result: 'again',
      fence_token: second.fence_token,
    });
    await queue.events.waitFor(() => queue.events.filter(eventIs('outcome_rejected')).length === 2);
    expect(queue.events.filter(eventIs('outcome_accepted'))).toHaveLength(1);
    expect(queue.events.filter(eventIs('outcome_rejected')).map((event) => event.reason)).toEqual([
      'already_settled',
      'already_settled',
    ]);
    expect(queue.getJob(jobId)).toMatchObject({ status: 'completed', result: 'new', error: null });
  });

  it('refuses a stale result while the newer dispatch still runs', async () => {
    const queue = await harness.start();
    const worker = await harness.worker(queue, 'w1');
    const { jobId, first, second } = await dispatchTwice(queue, worker);
    worker.send({ type: 'job_progress', job_id: jobId, fence_token: second.fence_token });
    worker.send({
      type: 'job_result',
      job_id: jobId,
      result: 'stale',
      fence_token: first.fence_token,
    });
    const rejected = await queue.events.waitFor(eventIs('outcome_rejected'));
    expect(rejected).toMatchObject({
      reason: 'stale_token',
      fenceToken: first.fence_token,
      currentToken: second.fence_token,
    });
    expect(queue.getJob(jobId)?.result).toBeNull();
  });

  it('accepts transient results with any token', async () => {
    const queue = await harness.start();
    const worker = await harness.worker(queue, 'w1');
    const { jobId, outcome } = queue.createJob({ payload: {}, mode: 'transient' });
    const frame = await worker.waitForFrame('job');
    expect(frame).toMatchObject({ mode: 'transient', fence_token: 0 });
    worker.send({ type: 'job_result', job_id: jobId, result: 'ok', fence_token: 42 });
    expect(await outcome).toEqual({ status: 'completed', result: 'ok' });
  });
});
