import { describe, expect, it } from 'vitest';
import { getJson, postJson, useQueueHarness } from '../../../support/queue-harness.ts';

const harness = useQueueHarness();

describe('the REST router', () => {
  it('answers 404 to unknown paths and jobs, 405 to wrong methods', async () => {
    const queue = await harness.start();
    expect((await getJson(`${queue.httpUrl}/nope`)).status).toBe(404);
    expect((await getJson(`${queue.httpUrl}/constructor`)).status).toBe(404);
    expect((await getJson(`${queue.httpUrl}/jobs/unknown-id`)).status).toBe(404);
    expect((await getJson(`${queue.httpUrl}/v1/chat/completions`)).status).toBe(405);
    expect((await postJson(`${queue.httpUrl}/health`, {})).status).toBe(405);
  });

  it('logs REST requests and their answers', async () => {
    const queue = await harness.start();
    await getJson(`${queue.httpUrl}/health`);
    await queue.events.waitFor((event) => event.kind === 'http_response');
    const kinds = queue.events
      .all()
      .filter((event) => event.kind === 'http_request' || event.kind === 'http_response');
    expect(kinds).toMatchObject([
      { kind: 'http_request', method: 'GET', path: '/health' },
      { kind: 'http_response', method: 'GET', path: '/health', status: 200 },
    ]);
  });

  it('answers with the exact content type and {"detail"} body the reference queue promises', async () => {
    const queue = await harness.start();
    const health = await fetch(`${queue.httpUrl}/health/?probe=1`);
    expect([health.status, health.headers.get('content-type')]).toEqual([200, 'application/json']);
    await health.text();
    const missing = await fetch(`${queue.httpUrl}/jobs/unknown-id`);
    expect(missing.headers.get('content-type')).toBe('application/json');
    expect(await missing.json()).toEqual({ detail: 'job unknown-id not found' });
    const head = await fetch(`${queue.httpUrl}/health`, { method: 'HEAD' });
    expect(head.status).toBe(405);
  });
});
