import { describe, expect, it } from 'vitest';
import { QueueFaultError } from '../../../../src/errors.ts';
import { eventIs } from '../../../../src/tools/queue/index.ts';
import { getJson, useQueueHarness } from '../../../support/queue-harness.ts';

const harness = useQueueHarness();

describe('fault injection, observed from a plain ws client', () => {
  it('dropSocket ends the TCP connection without a close frame', async () => {
    const queue = await harness.start();
    const worker = await harness.worker(queue, 'w1');
    queue.faults.dropSocket('w1');
    expect((await worker.closed).code).toBe(1006);
    await queue.events.waitFor(eventIs('connection_closed'));
    expect(queue.workers()).toEqual([]);
    expect(queue.events.filter(eventIs('fault'))).toMatchObject([
      { fault: 'drop_socket', workerId: 'w1' },
    ]);
  });

  it('stopAnsweringPings withholds pongs until answerPings', async () => {
    const queue = await harness.start();
    const worker = await harness.worker(queue, 'w1');
    queue.faults.stopAnsweringPings('w1');
    worker.ping('first');
    await queue.events.waitFor(eventIs('ping', (event) => !event.answered));
    queue.faults.answerPings('w1');
    worker.ping('second');
    const pongs = await worker.waitForPongs(1);
    expect(pongs.map(String)).toEqual(['second']);
    expect(queue.events.filter(eventIs('ping')).map((event) => event.answered)).toEqual([
      false,
      true,
    ]);
  });

  it('stallSocket leaves frames, pings and the close frame unread until resumeSocket', async () => {
    const queue = await harness.start();
    const worker = await harness.worker(queue, 'w1');
    queue.faults.stallSocket('w1');
    worker.send({ type: 'pause' });
    worker.ping('held');
    worker.ws.close(1000, 'bye');
    queue.faults.sendRaw('w1', '{"type":"error","message":"still sent"}');
    await worker.waitFor(() => worker.received.length === 1);
    expect(queue.workers()).toMatchObject([{ workerId: 'w1', paused: false }]);
    expect(queue.events.filter(eventIs('ping'))).toEqual([]);
    queue.faults.resumeSocket('w1');
    expect((await worker.closed).code).toBe(1000);
    expect(worker.pongs.map(String)).toEqual(['held']);
    const handled = queue.events
      .all()
      .map((event) => ('fault' in event ? event.fault : event.kind));
    expect(handled.slice(handled.indexOf('resume_socket'))).toEqual([
      'resume_socket',
      'frame_in',
      'ping',
      'connection_closed',
    ]);
    expect(() => queue.faults.resumeSocket('w1')).toThrow(QueueFaultError);
  });

  it('delayNextFrames holds the next frames back, then sends them', async () => {
    const queue = await harness.start();
    const worker = await harness.worker(queue, 'w1');
    queue.faults.delayNextFrames('w1', 1, 50);
    const { jobId } = queue.createJob({ payload: {} });
    expect(queue.events.filter(eventIs('job_dispatched'))).toHaveLength(1);
    expect(queue.events.filter(eventIs('frame_out'))).toHaveLength(0);
    await worker.waitForFrame('job', (frame) => frame.job_id === jobId);
    expect(queue.events.filter(eventIs('frame_out'))).toHaveLength(1);
  });

  it('duplicateNextFrames sends the next frames twice', async () => {
    const queue = await harness.start();
    const worker = await harness.worker(queue, 'w1');
    queue.faults.duplicateNextFrames('w1', 1);
    queue.createJob({ payload: {} });
    await worker.waitFor(() => worker.frames('job').length === 2);
    const [first, copy] = worker.frames('job');
    expect(copy).toEqual(first);
    expect(queue.events.filter(eventIs('frame_out'))).toHaveLength(2);
  });

  it('sendRaw sends text and binary that are not frames', async () => {
    const queue = await harness.start();
    const worker = await harness.worker(queue, 'w1');
    queue.faults.sendRaw('w1', '{"type":"surprise"');
    queue.faults.sendRaw('w1', Buffer.from([1, 2, 3]));
    await worker.waitFor(() => worker.received.length === 2);
    expect(worker.received).toMatchObject([
      { raw: '{"type":"surprise"', binary: false, frame: undefined },
      { binary: true },
    ]);
  });

  it('sendRaw logs the whole frame it sent, however long', async () => {
    const queue = await harness.start();
    const worker = await harness.worker(queue, 'w1');
    const frame = JSON.stringify({ type: 'job', job_id: 'long', input: 'x'.repeat(300) });
    queue.faults.sendRaw('w1', frame);
    await worker.waitFor(() => worker.received.length === 1);
    expect(worker.received[0]).toMatchObject({ raw: frame });
    expect(queue.events.filter(eventIs('fault'))).toMatchObject([
      { fault: 'send_raw', workerId: 'w1', detail: frame },
    ]);
  });

  it('revokeJob without redispatch revokes the holder and fails the job for good', async () => {
    const queue = await harness.start();
    const worker = await harness.worker(queue, 'w1');
    const { jobId, outcome } = queue.createJob({ payload: {} });
    const frame = await worker.waitForFrame('job');
    queue.faults.revokeJob(jobId, { reason: 'cancelled by user' });
    expect(await worker.waitForFrame('job_revoked')).toEqual({
      type: 'job_revoked',
      job_id: jobId,
      reason: 'cancelled by user',
    });
    expect(await outcome).toEqual({
      status: 'failed',
      reason: 'revoked',
      error: 'revoked: cancelled by user',
    });
    worker.send({ type: 'job_result', job_id: jobId, result: 1, fence_token: frame.fence_token });
    expect((await worker.waitForFrame('error')).message).toMatch(/already failed/);
    expect((await getJson(`${queue.httpUrl}/jobs/${jobId}`)).body).toMatchObject({
      status: 'failed',
      error: 'revoked: cancelled by user',
    });
    expect(() => queue.faults.revokeJob(jobId, { reason: 'again' })).toThrow(QueueFaultError);
  });

  it('revokeJob with redispatch hands the job out again under a higher token', async () => {
    const queue = await harness.start();
    const worker = await harness.worker(queue, 'w1');
    const { jobId } = queue.createJob({ payload: {} });
    const first = await worker.waitForFrame('job');
    queue.faults.revokeJob(jobId, { reason: 'rebalance', redispatch: true });
    await worker.waitForFrame('job_revoked');
    const second = await worker.waitForFrame(
      'job',
      (frame) => frame.fence_token > first.fence_token,
    );
    expect(second.job_id).toBe(jobId);
    const order = worker.received.map((r) => r.frame?.type);
    expect(order).toEqual(['job', 'job_revoked', 'job']);
  });

  it('failNextPayloadGet answers 500 once; hangNextPayloadGet answers only when the queue closes', async () => {
    const queue = await harness.start();
    const worker = await harness.worker(queue, 'w1');
    queue.createJob({ payload: { big: true }, offload: true });
    const url = (await worker.waitForFrame('job')).payload_url!;
    queue.faults.failNextPayloadGet();
    expect((await getJson(url)).status).toBe(500);
    expect((await getJson(url)).status).toBe(200);
    queue.faults.hangNextPayloadGet();
    const hanging = getJson(url);
    await queue.events.waitFor(eventIs('offload_get', (event) => event.status === 'hang'));
    await queue.close();
    expect((await hanging).status).toBe(503);
  });

  it('failNextResultPut answers 500 once; hangNextResultPut answers only when the queue closes', async () => {
    const queue = await harness.start({ resultUploadUrls: true });
    const worker = await harness.worker(queue, 'w1');
    queue.createJob({ payload: {} });
    const url = (await worker.waitForFrame('job')).result_upload_url!;
    const putResult = () => fetch(url, { method: 'PUT', body: '{"r":1}' }).then((r) => r.status);
    queue.faults.failNextResultPut();
    expect(await putResult()).toBe(500);
    expect(await putResult()).toBe(200);
    queue.faults.hangNextResultPut();
    const hanging = putResult();
    await queue.events.waitFor(eventIs('offload_put', (event) => event.status === 'hang'));
    await queue.close();
    expect(await hanging).toBe(503);
  });

  it('records every injected fault and refuses faults for unknown workers', async () => {
    const queue = await harness.start();
    expect(() => queue.faults.dropSocket('ghost')).toThrow(QueueFaultError);
    queue.faults.failNextPayloadGet();
    queue.faults.stopAnsweringPings('ghost');
    expect(queue.events.filter(eventIs('fault')).map((event) => event.fault)).toEqual([
      'fail_next_payload_get',
      'stop_answering_pings',
    ]);
  });
});
