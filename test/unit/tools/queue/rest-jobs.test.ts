import { describe, expect, it } from 'vitest';
import { getJson, useQueueHarness } from '../../../support/queue-harness.ts';

const harness = useQueueHarness();

describe('the health route', () => {
  it('GET /health reports whether a worker is connected and the pending jobs', async () => {
    const queue = await harness.start();
    queue.createJob({ payload: {} });
    expect(await getJson(`${queue.httpUrl}/health`)).toEqual({
      status: 200,
      body: { status: 'ok', worker_connected: false, pending_jobs: 1 },
    });
    await harness.worker(queue, 'w1');
    expect((await getJson(`${queue.httpUrl}/health`)).body).toEqual({
      status: 'ok',
      worker_connected: true,
      pending_jobs: 0,
    });
  });
});
