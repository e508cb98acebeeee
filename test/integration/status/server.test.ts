/**
 * The status server against a real worker (the SDK's, on the local queue): /healthz, /readyz
 * and /metrics report the states the machines are in, and /debug/state shows them without
 * secrets or payloads.
 */
import { connect } from 'node:net';
import { describe, expect, it } from 'vitest';
import { freePort } from '../../../src/net/free-port.ts';
import { createWorker } from '../../../src/sdk.ts';
import { createStatusServer } from '../../../src/status/server.ts';
import { eventIs } from '../../../src/tools/queue/index.ts';
import { captureLogs } from '../../support/log-capture.ts';
import { useQueueHarness } from '../../support/queue-harness.ts';
import { deferred, FAST_TIMINGS, until, useSdkWorkers } from '../../support/sdk-worker.ts';
import { get, sample, useStatusServers } from '../../support/status.ts';

/** Sends `text` as it is to the port and resolves with what comes back before the close. */
function rawRequest(port: number, text: string): Promise<string> {
  return new Promise((resolve, reject) => {
    let answer = '';
    const socket = connect(port, '127.0.0.1', () => socket.end(text));
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => {
      answer += chunk;
    });
    socket.on('close', () => resolve(answer));
    socket.on('error', reject);
  });
}

const queues = useQueueHarness();
const workers = useSdkWorkers();
const servers = useStatusServers();

describe('status server', () => {
  it('is alive at once, ready only with the engine ready and the queue online, not while stopping', async () => {
    const status = servers.create();
    const offline = createWorker({
      wsUrl: `ws://127.0.0.1:${await freePort()}`,
      workerId: 'w0',
      configId: 'cfg',
      onJob: () => null,
      inspect: status.inspect,
      timings: { ...FAST_TIMINGS, reconnectDelayMs: () => 60_000 },
    });
    offline.start();
    try {
      const url = await servers.listen(status, offline.actor);
      expect(await get(`${url}/healthz`)).toMatchObject({ status: 200, body: 'ok\n' });
      await until(() => offline.state().connection === 'backoff', 5_000, 'backoff');
      const notReady = await get(`${url}/readyz`);
      expect(notReady.status).toBe(503);
      expect(notReady.body).toBe('not ready: the queue connection is backoff, not online\n');
    } finally {
      await offline.stop();
    }

    const queue = await queues.start();
    const online = servers.create();
    const worker = await workers.start(queue, { inspect: online.inspect, workerId: 'w2' });
    const onlineUrl = await servers.listen(online, worker.actor);
    expect(await get(`${onlineUrl}/readyz`)).toMatchObject({ status: 200, body: 'ready\n' });

    await worker.stop();
    const stopped = await get(`${onlineUrl}/readyz`);
    expect(stopped.status).toBe(503);
    expect(stopped.body).toContain('the worker is shutting down (exited)');
    expect(stopped.body).toContain('the engine is stopped, not ready');
    expect(stopped.body).toContain('the queue connection is closed, not online');
  });

  it('counts jobs by task and outcome with their durations, and renewals', async () => {
    const queue = await queues.start();
    const status = servers.create();
    const release = deferred<unknown>();
    const worker = await workers.start(queue, {
      inspect: status.inspect,
      capacity: 4,
      timings: { renewIntervalMs: 20 },
      onJob: async (job) => {
        const { task } = job.payload as { task: string };
        if (task === 'fails') throw new Error('no');
        if (task === 'slow') return release.promise;
        return { ok: true };
      },
    });
    const url = await servers.listen(status, worker.actor);
    await queue.createJob({ payload: { task: 'quick' } }).outcome;
    await queue.createJob({ payload: { task: 'quick' }, mode: 'transient' }).outcome;
    await queue.createJob({ payload: { task: 'fails' } }).outcome;
    await queue.createJob({ payload: {} }).outcome;
    const slow = queue.createJob({ payload: { task: 'slow' } });
    const renewals = () => queue.events.filter(eventIs('lease_renewed')).length;
    await until(() => renewals() >= 2, 5_000, 'two renewals');
    const running = (await get(`${url}/metrics`)).body;
    expect(sample(running, 'casola_jobs_running')).toBe(1);
    queue.faults.revokeJob(slow.jobId, { reason: 'test', redispatch: false });
    await slow.outcome;
    await until(() => worker.state().jobs[slow.jobId] === undefined, 5_000, 'the revoked job');

    const answer = await get(`${url}/metrics`);
    expect(answer.type).toBe('text/plain; version=0.0.4; charset=utf-8');
    const text = answer.body;
    const jobs = (labels: string) => sample(text, `casola_jobs_total{${labels}}`);
    expect(jobs('task="quick",outcome="result"')).toBe(2);
    expect(jobs('task="fails",outcome="error"')).toBe(1);
    expect(jobs('task="none",outcome="result"')).toBe(1);
    expect(jobs('task="slow",outcome="revoked"')).toBe(1);
    expect(sample(text, 'casola_job_duration_seconds_count{task="quick",outcome="result"}')).toBe(
      2,
    );
    expect(
      sample(text, 'casola_job_duration_seconds_bucket{le="+Inf",task="quick",outcome="result"}'),
    ).toBe(2);
    expect(sample(text, 'casola_jobs_running')).toBe(0);
    expect(sample(text, 'casola_lease_renewals_total')).toBe(
      queue.events.filter(eventIs('frame_in', (e) => e.frame.type === 'job_progress')).length,
    );
    expect(sample(text, 'casola_lease_renewals_total')).toBeGreaterThanOrEqual(2);
  });

  it('reports the engine, the connection, reconnects, the outbox and pause/drain as they are', async () => {
    const queue = await queues.start();
    const status = servers.create();
    const release = deferred<unknown>();
    const worker = await workers.start(queue, {
      inspect: status.inspect,
      timings: { reconnectDelayMs: () => 300 },
      onJob: () => release.promise,
    });
    const url = await servers.listen(status, worker.actor);
    const metrics = async () => (await get(`${url}/metrics`)).body;

    let text = await metrics();
    expect(sample(text, 'casola_engine_ready')).toBe(1);
    expect(sample(text, 'casola_engine_state{state="running.ready"}')).toBe(1);
    expect(sample(text, 'casola_engine_state{state="checkingGpu"}')).toBe(0);
    expect(sample(text, 'casola_worker_state{state="online.serving"}')).toBe(1);
    expect(sample(text, 'casola_gate_state{state="accepting"}')).toBe(1);
    expect(sample(text, 'casola_queue_connected')).toBe(1);
    expect(sample(text, 'casola_queue_reconnects_total')).toBe(0);

    const job = queue.createJob({ payload: { task: 'held' } });
    await until(() => worker.calls.length === 1, 5_000, 'the job to start');
    queue.faults.dropSocket('w1');
    await until(() => worker.state().connection === 'backoff', 5_000, 'backoff');
    release.resolve({ done: true });
    await until(() => worker.state().jobs[job.jobId] === undefined, 5_000, 'the job to end');
    text = await metrics();
    expect(sample(text, 'casola_queue_connected')).toBe(0);
    expect(sample(text, 'casola_outbox_depth')).toBe(1);

    const after = queue.events.lastSeq;
    await queue.events.waitFor(eventIs('worker_registered'), { after });
    await job.outcome;
    await until(() => worker.state().connection === 'linked.online.quiet', 5_000, 'quiet');
    worker.pause();
    await until(() => worker.state().gate === 'paused', 5_000, 'paused');
    text = await metrics();
    expect(sample(text, 'casola_queue_reconnects_total')).toBe(1);
    expect(sample(text, 'casola_queue_connected')).toBe(1);
    expect(sample(text, 'casola_outbox_depth')).toBe(0);
    expect(sample(text, 'casola_gate_state{state="paused"}')).toBe(1);
    expect(sample(text, 'casola_gate_state{state="accepting"}')).toBe(0);

    await worker.drain();
    text = await metrics();
    expect(sample(text, 'casola_gate_state{state="drained"}')).toBe(1);
    expect(sample(text, 'casola_gate_state{state="paused"}')).toBe(0);
  });

  it('shows every actor and running job on /debug/state, without tokens or payloads', async () => {
    const queue = await queues.start({ requireToken: 'secret-token-1234' });
    const status = servers.create();
    const release = deferred<unknown>();
    const worker = await workers.start(queue, {
      inspect: status.inspect,
      apiToken: 'secret-token-1234',
      onJob: () => release.promise,
    });
    const url = await servers.listen(status, worker.actor);
    const job = queue.createJob({ payload: { task: 'held', prompt: 'private words' } });
    await until(() => worker.calls.length === 1, 5_000, 'the job to start');
    const answer = await get(`${url}/debug/state`);
    release.resolve({ ok: true });
    await job.outcome;

    expect(answer.type).toBe('application/json');
    expect(answer.body).not.toContain('secret-token');
    expect(answer.body).not.toContain('private words');
    const state = JSON.parse(answer.body);
    expect(state.readiness).toEqual({ ready: true });
    expect(state.actors.map((a: { id: string; state: string }) => [a.id, a.state])).toEqual([
      ['worker', 'online.serving'],
      ['engine', 'running.ready'],
      ['connection', expect.stringMatching(/^linked\.online\./)],
      ['gate', 'accepting'],
    ]);
    expect(state.actors[1].active).toEqual(['engine', 'engine.running', 'engine.running.ready']);
    expect(state.jobs).toEqual([
      expect.objectContaining({
        jobId: job.jobId,
        mode: 'persisted',
        task: 'held',
        state: 'running.working',
        lease: expect.objectContaining({
          machine: 'job',
          active: ['job', 'job.running', 'job.running.working'],
        }),
      }),
    ]);
  });

  it('answers a request target that is not a URL path with 400, HEAD like GET, and keeps serving', async () => {
    const queue = await queues.start();
    const status = servers.create();
    const worker = await workers.start(queue, { inspect: status.inspect });
    const url = await servers.listen(status, worker.actor);
    const { port } = new URL(url);
    expect(await rawRequest(Number(port), 'GET //[ HTTP/1.1\r\nHost: x\r\n\r\n')).toMatch(
      /^HTTP\/1\.1 400 /,
    );
    const upgrade =
      'GET http://[bad HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n' +
      'Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n';
    await rawRequest(Number(port), upgrade);
    expect(await get(`${url}/healthz`)).toMatchObject({ status: 200, body: 'ok\n' });
    // HEAD, as monitors send it: GET's status and headers, no body.
    for (const path of ['/healthz', '/metrics', '/debug/events']) {
      const head = await fetch(`${url}${path}`, { method: 'HEAD' });
      expect([path, head.status, await head.text()]).toEqual([path, 200, '']);
    }
    expect(worker.actor.getSnapshot().status).toBe('active');
  });

  it('logs why it cannot listen and leaves the worker alone', async () => {
    const queue = await queues.start();
    const taken = servers.create();
    const logs = captureLogs();
    const worker = await workers.start(queue, { inspect: taken.inspect });
    const url = await servers.listen(taken, worker.actor);
    const port = Number(new URL(url).port);
    const clash = createStatusServer({ port, host: '127.0.0.1', logger: logs.logger });
    expect(await clash.listen(worker.actor)).toBeUndefined();
    await clash.close();
    expect(logs.entries()).toContainEqual(
      expect.objectContaining({
        level: 50,
        err: expect.objectContaining({
          message: expect.stringContaining(`could not listen on 127.0.0.1:${port}`),
        }),
      }),
    );
    expect((await queue.createJob({ payload: {} }).outcome).status).toBe('completed');
  });
});
