import { describe, expect, it } from 'vitest';
import { eventIs } from '../../../../src/tools/queue/index.ts';
import { postJson, useQueueHarness } from '../../../support/queue-harness.ts';
import { TestWsClient } from '../../../support/ws-client.ts';

const harness = useQueueHarness();
const chat = { model: 'm', messages: [{ role: 'user', content: 'hi' }] };

describe('the /ws endpoint', () => {
  it('sends a REST chat completion to a plain ws client as a job frame and answers its result', async () => {
    const queue = await harness.start();
    const worker = await harness.worker(queue, 'w1', { configId: 'cfg-a' });
    const answer = postJson(`${queue.httpUrl}/v1/chat/completions`, { ...chat, temperature: 0.2 });
    const job = await worker.waitForFrame('job');
    const raw = worker.received.find((r) => r.frame === job)!.raw;
    expect(JSON.parse(raw)).toEqual({
      type: 'job',
      job_id: job.job_id,
      mode: 'transient',
      config_id: 'cfg-a',
      fence_token: 0,
      payload: {
        task: 'openai/chat-completion',
        model: 'm',
        messages: chat.messages,
        temperature: 0.2,
      },
    });
    const completion = { id: 'c1', model: 'm', choices: [], usage: { total_tokens: 3 } };
    worker.send({ type: 'job_result', job_id: job.job_id, result: { completion }, fence_token: 0 });
    expect(await answer).toMatchObject({ status: 200, body: completion });
  });

  it('records the upgrade headers, including the bearer token', async () => {
    const queue = await harness.start();
    await harness.worker(queue, 'w1', { headers: { Authorization: 'Bearer secret-1' } });
    expect(queue.workers()[0]?.headers.authorization).toBe('Bearer secret-1');
    const opened = queue.events.filter(eventIs('connection_opened'));
    expect(opened[0]?.headers.authorization).toBe('Bearer secret-1');
  });

  it('answers 401 to an upgrade without the required bearer token', async () => {
    const queue = await harness.start({ requireToken: 'tok' });
    expect(await TestWsClient.upgradeStatus(queue.wsUrl)).toBe(401);
    expect(await TestWsClient.upgradeStatus(queue.wsUrl, { Authorization: 'Bearer nope' })).toBe(
      401,
    );
    expect(await TestWsClient.upgradeStatus(queue.wsUrl, { Authorization: 'Bearer tok' })).toBe(
      101,
    );
    const refused = queue.events.filter(eventIs('connection_refused'));
    expect(refused.map((event) => event.status)).toEqual([401, 401]);
  });

  it('refuses upgrades on other paths with 404', async () => {
    const queue = await harness.start();
    expect(await TestWsClient.upgradeStatus(`${queue.wsUrl}/elsewhere`)).toBe(404);
  });

  it('serves many workers at once and lists them', async () => {
    const queue = await harness.start();
    await harness.worker(queue, 'a', { configId: 'x', capacity: 2 });
    await harness.worker(queue, 'b', { configId: 'y', capacity: 3 });
    expect(
      queue.workers().map(({ workerId, configId, capacity, paused, draining, runningJobIds }) => ({
        workerId,
        configId,
        capacity,
        paused,
        draining,
        runningJobIds,
      })),
    ).toEqual([
      {
        workerId: 'a',
        configId: 'x',
        capacity: 2,
        paused: false,
        draining: false,
        runningJobIds: [],
      },
      {
        workerId: 'b',
        configId: 'y',
        capacity: 3,
        paused: false,
        draining: false,
        runningJobIds: [],
      },
    ]);
  });

  it('survives garbage frames, answering each with an error frame and logging its reason', async () => {
    const queue = await harness.start();
    const worker = await harness.worker(queue, 'w1');
    worker.sendRaw('not json at all');
    worker.sendRaw(JSON.stringify({ type: 'teleport' }));
    worker.sendRaw(JSON.stringify({ type: 'job_result', job_id: 7 }));
    worker.sendRaw(Buffer.from([0xff, 0x00, 0x01]));
    worker.sendRaw('[1,2]');
    await queue.events.waitFor(() => queue.events.filter(eventIs('frame_rejected')).length === 5);
    const reasons = queue.events.filter(eventIs('frame_rejected')).map((event) => event.reason);
    expect(reasons).toEqual(['not_json', 'unknown_type', 'invalid_fields', 'binary', 'not_json']);
    const invalid = queue.events.filter(eventIs('frame_rejected'))[2]!;
    expect(invalid.detail).toMatch(/job_id/);
    expect(invalid.raw).toBe('{"type":"job_result","job_id":7}');
    await worker.waitFor(() => worker.frames('error').length === 5);
    expect(worker.frames('error')[1]?.message).toMatch(/unknown frame type 'teleport'/);

    const answer = postJson(`${queue.httpUrl}/v1/chat/completions`, chat);
    const job = await worker.waitForFrame('job');
    worker.send({
      type: 'job_result',
      job_id: job.job_id,
      result: { completion: {} },
      fence_token: 0,
    });
    expect((await answer).status).toBe(200);
  });

  it('answers frames sent before register with an error frame', async () => {
    const queue = await harness.start();
    const client = await harness.connect(queue);
    client.send({ type: 'pause' });
    client.send({ type: 'job_result', job_id: 'j', result: 1, fence_token: 0 });
    await client.waitFor(() => client.frames('error').length === 2);
    expect(client.frames('error').map((frame) => frame.message)).toEqual([
      'pause rejected: send register first',
      'job_result for job j rejected: send register first',
    ]);
  });

  it('logs frames in and out with their raw text, worker id and connection', async () => {
    const queue = await harness.start();
    const worker = await harness.worker(queue, 'w1');
    const { jobId } = queue.createJob({ payload: { n: 1 } });
    const job = await worker.waitForFrame('job');
    worker.send({ type: 'job_progress', job_id: jobId, fence_token: job.fence_token });
    const into = await queue.events.waitFor(
      eventIs('frame_in', (event) => event.frame.type === 'job_progress'),
    );
    expect(into).toMatchObject({ workerId: 'w1', frame: { job_id: jobId } });
    expect(JSON.parse(into.raw)).toMatchObject({ type: 'job_progress', job_id: jobId });
    const out = queue.events.filter(eventIs('frame_out', (event) => event.frame.type === 'job'));
    expect(out).toHaveLength(1);
    expect(out[0]).toMatchObject({ workerId: 'w1', raw: worker.received[0]?.raw });
  });

  it('closes every socket and stays closed when closed twice', async () => {
    const queue = await harness.start();
    const worker = await harness.worker(queue, 'w1');
    await Promise.all([queue.close(), queue.close()]);
    expect((await worker.closed).code).toBe(1001);
    await expect(fetch(`${queue.httpUrl}/health`)).rejects.toThrow();
  });
});
