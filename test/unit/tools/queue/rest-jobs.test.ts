import { describe, expect, it } from 'vitest';
import { eventIs } from '../../../../src/tools/queue/index.ts';
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

describe('GET /jobs/{id} of an unknown job', () => {
  it('answers 404 naming the id, even one with a broken percent-escape, and logs the request', async () => {
    const queue = await harness.start();
    expect(await getJson(`${queue.httpUrl}/jobs/%zz`)).toEqual({
      status: 404,
      body: { detail: 'job %zz not found' },
    });
    await queue.events.waitFor(
      eventIs('http_response', (event) => event.path === '/jobs/%zz' && event.status === 404),
    );
    // Not UTF-8 once decoded: no URL path at all, so no route has it.
    expect(await getJson(`${queue.httpUrl}/jobs/%ff`)).toEqual({
      status: 404,
      body: { detail: 'Not Found' },
    });
    await queue.events.waitFor(
      eventIs('http_response', (event) => event.path === '/jobs/%ff' && event.status === 404),
    );
    expect(queue.events.filter(eventIs('http_request')).map((event) => event.path)).toEqual([
      '/jobs/%zz',
      '/jobs/%ff',
    ]);
  });

  it('answers 404 naming a long id (past a router default of 100 characters)', async () => {
    const queue = await harness.start();
    const id = 'j'.repeat(500);
    expect(await getJson(`${queue.httpUrl}/jobs/${id}`)).toEqual({
      status: 404,
      body: { detail: `job ${id} not found` },
    });
  });
});
