import { describe, expect, it } from 'vitest';
import { eventIs } from '../../../../src/tools/queue/index.ts';
import {
  dispatchTwice,
  getJson,
  postJson,
  useQueueHarness,
} from '../../../support/queue-harness.ts';

const harness = useQueueHarness();

async function put(url: string, body: string): Promise<number> {
  const response = await fetch(url, {
    method: 'PUT',
    headers: { 'content-type': 'application/json' },
    body,
  });
  await response.arrayBuffer();
  return response.status;
}

describe('offload through the queue’s own HTTP server', () => {
  it('serves an offloaded payload at payload_url and takes the result at result_upload_url', async () => {
    const queue = await harness.start();
    const worker = await harness.worker(queue, 'w1');
    const payload = { task: 'fal/text-to-video', prompt: 'a long one' };
    const created = await postJson(`${queue.httpUrl}/jobs`, { payload, offload: true });
    const jobId = (created.body as { id: string }).id;
    const frame = await worker.waitForFrame('job');
    expect(frame.payload).toEqual({});
    expect(frame.payload_url).toBe(`${queue.httpUrl}/offload/payload/${jobId}`);
    expect(frame.result_upload_url).toBe(
      `${queue.httpUrl}/offload/result/${jobId}/${frame.fence_token}`,
    );
    expect(await getJson(frame.payload_url!)).toEqual({ status: 200, body: payload });

    const result = { video_b64: 'A'.repeat(1000) };
    expect(await put(frame.result_upload_url!, JSON.stringify(result))).toBe(200);
    worker.send({ type: 'job_result_ref', job_id: jobId, fence_token: frame.fence_token });
    expect(await worker.waitForFrame('job_result_ref')).toEqual({
      type: 'job_result_ref',
      job_id: jobId,
    });
    expect((await getJson(`${queue.httpUrl}/jobs/${jobId}`)).body).toMatchObject({
      status: 'completed',
      result,
    });
    expect(queue.events.filter(eventIs('offload_get')).map((event) => event.status)).toEqual([200]);
    expect(queue.events.filter(eventIs('offload_put'))).toMatchObject([
      { jobId, fenceToken: frame.fence_token, status: 200 },
    ]);
  });

  it('rejects a job_result_ref with nothing uploaded', async () => {
    const queue = await harness.start();
    const worker = await harness.worker(queue, 'w1');
    const { jobId } = queue.createJob({ payload: {}, offload: true });
    const frame = await worker.waitForFrame('job');
    worker.send({ type: 'job_result_ref', job_id: jobId, fence_token: frame.fence_token });
    const error = await worker.waitForFrame('error');
    expect(error.message).toMatch(
      new RegExp(`job_result_ref for job ${jobId} rejected: nothing was uploaded`),
    );
    expect(queue.getJob(jobId)?.status).toBe('running');
    expect(worker.frames('job_result_ref')).toEqual([]);
  });

  it('does not complete a newer dispatch with an upload made under a stale token', async () => {
    const queue = await harness.start();
    const worker = await harness.worker(queue, 'w1');
    const { jobId, first, second } = await dispatchTwice(queue, worker, {
      payload: {},
      offload: true,
    });
    expect(second.result_upload_url).not.toBe(first.result_upload_url);
    expect(await put(first.result_upload_url!, '"stale"')).toBe(200);
    worker.send({ type: 'job_result_ref', job_id: jobId, fence_token: second.fence_token });
    await worker.waitForFrame('error');
    expect(queue.getJob(jobId)?.status).toBe('running');
  });

  it('offloads payloads above offloadThresholdBytes, transient ones included', async () => {
    const queue = await harness.start({ offloadThresholdBytes: 100 });
    const worker = await harness.worker(queue, 'w1', { capacity: 3 });
    const big = queue.createJob({ payload: { text: 'x'.repeat(200) }, mode: 'transient' });
    const small = queue.createJob({ payload: { text: 'x' }, mode: 'transient' });
    await worker.waitFor(() => worker.frames('job').length === 2);
    const [bigFrame, smallFrame] = worker.frames('job');
    expect(bigFrame).toMatchObject({ job_id: big.jobId, payload: {} });
    expect(bigFrame?.payload_url).toBeDefined();
    expect(bigFrame?.result_upload_url).toBeUndefined();
    expect(smallFrame).toMatchObject({ job_id: small.jobId, payload: { text: 'x' } });
    expect(smallFrame?.payload_url).toBeUndefined();
  });

  it('gives every persisted job a result_upload_url with resultUploadUrls', async () => {
    const queue = await harness.start({ resultUploadUrls: true });
    const worker = await harness.worker(queue, 'w1');
    queue.createJob({ payload: { inline: true } });
    const frame = await worker.waitForFrame('job');
    expect(frame.payload).toEqual({ inline: true });
    expect(frame.payload_url).toBeUndefined();
    expect(frame.result_upload_url).toMatch(/\/offload\/result\//);
  });

  it('answers 404 for payloads that were not offloaded and 400 for uploads that are not JSON', async () => {
    const queue = await harness.start({ resultUploadUrls: true });
    const worker = await harness.worker(queue, 'w1');
    const { jobId } = queue.createJob({ payload: {} });
    const frame = await worker.waitForFrame('job');
    expect((await getJson(`${queue.httpUrl}/offload/payload/${jobId}`)).status).toBe(404);
    expect(await put(frame.result_upload_url!, '{broken')).toBe(400);
    expect(await put(`${queue.httpUrl}/offload/result/nope/1`, '1')).toBe(404);
  });
});
