/**
 * The SDK worker's connection against the local queue: register, bearer, reconnects with
 * backoff, keep-alive, standing (pause/drain) replayed after re-register, the outbox.
 */
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { WebSocketServer } from 'ws';
import { createWorker } from '../../../src/sdk.ts';
import { type EventOf, eventIs } from '../../../src/tools/queue/index.ts';
import { captureLogs } from '../../support/log-capture.ts';
import { useQueueHarness } from '../../support/queue-harness.ts';
import { deferred, until, useSdkWorkers } from '../../support/sdk-worker.ts';

const queues = useQueueHarness();
const workers = useSdkWorkers();

const framesFrom = (events: EventOf<'frame_in'>[], type: string) =>
  events.filter((event) => event.frame.type === type).map((event) => event.frame);

describe('SDK connection', () => {
  it('registers with worker_id, config_id and capacity, carrying the bearer token', async () => {
    const queue = await queues.start({ requireToken: 's3cret' });
    await workers.start(queue, {
      wsUrl: `${queue.wsUrl}/`,
      workerId: 'w-reg',
      configId: 'cfg-a',
      capacity: 3,
      apiToken: 's3cret',
    });
    const opened = queue.events.filter(eventIs('connection_opened'));
    expect(opened).toHaveLength(1);
    expect(opened[0]!.headers.authorization).toBe('Bearer s3cret');
    const first = queue.events.filter(eventIs('frame_in'))[0]!;
    expect(JSON.parse(first.raw)).toEqual({
      type: 'register',
      worker_id: 'w-reg',
      config_id: 'cfg-a',
      capacity: 3,
    });
    expect(queue.workers()).toMatchObject([{ workerId: 'w-reg', configId: 'cfg-a', capacity: 3 }]);
  });

  it('backs off 1 s, 2 s, 4 s … while the queue refuses it, and starts again at 1 s after register', async () => {
    const queue = await queues.start({ requireToken: 'right' });
    const backoffs: number[] = [];
    const worker = await workers.start(
      queue,
      {
        apiToken: 'wrong',
        timings: {
          reconnectDelayMs: (backoff) => {
            backoffs.push(backoff);
            return 5;
          },
        },
      },
      { waitConnected: false },
    );
    await until(() => backoffs.length >= 7, 5_000, 'seven reconnect attempts');
    expect(backoffs.slice(0, 7)).toEqual([1_000, 2_000, 4_000, 8_000, 16_000, 32_000, 60_000]);
    expect(worker.state().connection).not.toMatch(/online/);
  });

  it('says why it cannot connect and what to check: a refused token, a closing queue', async () => {
    const queue = await queues.start({ requireToken: 'right' });
    const refused = captureLogs();
    await workers.start(
      queue,
      { apiToken: 'wrong', logger: refused.logger, timings: { reconnectDelayMs: () => 5 } },
      { waitConnected: false },
    );
    await until(
      () => refused.lines().some((line) => line.includes('check CASOLA_API_TOKEN')),
      5_000,
      'the refusal to be explained',
    );
    expect(refused.entries()).toContainEqual(
      expect.objectContaining({
        level: 40,
        msg: 'the queue refused the connection (HTTP 401): check CASOLA_API_TOKEN',
      }),
    );

    // A queue that closes each connection after register, saying why.
    const server = new WebSocketServer({ host: '127.0.0.1', port: 0 });
    await once(server, 'listening');
    server.on('connection', (socket) =>
      socket.once('message', () => socket.close(1008, 'config_id cfg is not known')),
    );
    try {
      const closed = captureLogs();
      const worker = createWorker({
        wsUrl: `ws://127.0.0.1:${(server.address() as AddressInfo).port}`,
        workerId: 'w-closed',
        configId: 'cfg',
        onJob: () => null,
        logger: closed.logger,
        timings: { reconnectDelayMs: () => 5 },
      });
      worker.start();
      await until(
        () => closed.lines().some((line) => line.includes('config_id cfg is not known')),
        5_000,
        'the close to be logged',
      );
      await worker.stop();
      expect(closed.entries()).toContainEqual(
        expect.objectContaining({
          level: 40,
          msg: 'the queue connection closed (code 1008: config_id cfg is not known); reconnecting after a backoff',
          code: 1008,
        }),
      );
    } finally {
      server.close();
    }
  });

  it('resets the backoff once registered, and reconnects after a dropped socket', async () => {
    const queue = await queues.start();
    const backoffs: number[] = [];
    await workers.start(queue, {
      workerId: 'w-drop',
      timings: {
        reconnectDelayMs: (backoff) => {
          backoffs.push(backoff);
          return 5;
        },
      },
    });
    for (let drop = 1; drop <= 3; drop++) {
      const after = queue.events.lastSeq;
      queue.faults.dropSocket('w-drop');
      await queue.events.waitFor(
        eventIs('worker_registered', (e) => e.workerId === 'w-drop'),
        { after },
      );
    }
    expect(backoffs).toEqual([1_000, 1_000, 1_000]);
    expect(queue.events.filter(eventIs('worker_registered'))).toHaveLength(4);
  });

  it('pings on schedule and reconnects when the queue stops answering them', async () => {
    const queue = await queues.start();
    const worker = await workers.start(queue, {
      workerId: 'w-ping',
      timings: { pingIntervalMs: 30, pongTimeoutMs: 60 },
    });
    await queue.events.waitFor(eventIs('ping', (e) => e.answered));
    expect(worker.state().connection).toMatch(/^linked\.online/);
    const after = queue.events.lastSeq;
    queue.faults.stopAnsweringPings('w-ping');
    await queue.events.waitFor(
      eventIs('ping', (e) => !e.answered),
      { after },
    );
    const closed = await queue.events.waitFor(eventIs('connection_closed'), { after });
    queue.faults.answerPings('w-ping');
    await queue.events.waitFor(eventIs('worker_registered'), { after: closed.seq });
    await worker.connected();
  });

  it('re-sends pause after a re-register while paused, and drain while draining', async () => {
    const queue = await queues.start();
    const hold = deferred<unknown>();
    const worker = await workers.start(queue, {
      workerId: 'w-st',
      onJob: () => hold.promise,
    });
    worker.pause();
    await queue.events.waitFor(eventIs('frame_in', (e) => e.frame.type === 'pause'));
    let after = queue.events.lastSeq;
    queue.faults.dropSocket('w-st');
    await queue.events.waitFor(
      eventIs('frame_in', (e) => e.frame.type === 'pause'),
      { after },
    );
    expect(queue.workers()[0]).toMatchObject({ paused: true });

    worker.resume();
    const job = queue.createJob({ payload: { n: 1 }, mode: 'transient' });
    await until(() => worker.calls.length === 1, 5_000, 'the job to start');
    const drained = worker.drain();
    await queue.events.waitFor(eventIs('frame_in', (e) => e.frame.type === 'drain'));
    after = queue.events.lastSeq;
    queue.faults.dropSocket('w-st');
    await queue.events.waitFor(
      eventIs('frame_in', (e) => e.frame.type === 'drain'),
      { after },
    );
    expect(queue.workers()[0]).toMatchObject({ draining: true });
    hold.resolve({ done: true });
    await drained;
    expect(await job.outcome).toEqual({ status: 'completed', result: { done: true } });
    const controlFrames = queue.events
      .filter(eventIs('frame_in'))
      .map((e) => e.frame.type)
      .filter((type) => ['pause', 'resume', 'drain'].includes(type));
    expect(controlFrames).toEqual(['pause', 'pause', 'resume', 'drain', 'drain']);
  });

  it('delivers results of jobs that finished while the socket was down, in order, after register', async () => {
    const queue = await queues.start();
    const gates = [deferred<unknown>(), deferred<unknown>()];
    const worker = await workers.start(queue, {
      workerId: 'w-out',
      capacity: 2,
      timings: { reconnectDelayMs: () => 300 },
      onJob: (job) => gates[(job.payload as { i: number }).i]!.promise,
    });
    const jobs = [
      queue.createJob({ payload: { i: 0 }, mode: 'transient' }),
      queue.createJob({ payload: { i: 1 }, mode: 'persisted' }),
    ];
    await until(() => worker.calls.length === 2, 5_000, 'both jobs to start');
    const after = queue.events.lastSeq;
    queue.faults.dropSocket('w-out');
    await queue.events.waitFor(eventIs('connection_closed'), { after });
    gates[1]!.resolve({ second: true });
    await until(() => !(jobs[1]!.jobId in worker.state().jobs), 5_000, 'the second job to end');
    gates[0]!.resolve({ first: true });
    expect((await Promise.all(jobs.map((job) => job.outcome))).map((o) => o.status)).toEqual([
      'completed',
      'completed',
    ]);
    const sent = queue.events.filter(eventIs('frame_in', (e) => e.seq > after));
    expect(sent.map((e) => e.frame.type)).toEqual(['register', 'job_result', 'job_result']);
    expect(framesFrom(sent, 'job_result').map((f) => 'result' in f && f.result)).toEqual([
      { second: true },
      { first: true },
    ]);
  });

  it('survives garbage, unknown frames and binary frames, and answers an invalid job frame', async () => {
    const queue = await queues.start();
    const worker = await workers.start(queue, { workerId: 'w-junk' });
    queue.faults.sendRaw('w-junk', 'not json at all');
    queue.faults.sendRaw('w-junk', JSON.stringify({ type: 'surprise', job_id: 'x' }));
    queue.faults.sendRaw('w-junk', Buffer.from([1, 2, 3]));
    queue.faults.sendRaw(
      'w-junk',
      JSON.stringify({
        type: 'job',
        job_id: 'bad-1',
        config_id: 'cfg',
        mode: 'batch',
        fence_token: 7,
      }),
    );
    const error = await queue.events.waitFor(
      eventIs('frame_in', (e) => e.frame.type === 'job_error'),
    );
    expect(error.frame).toMatchObject({ job_id: 'bad-1', fence_token: 7 });
    expect('error' in error.frame && error.frame.error).toMatch(/^invalid job frame: mode: /);
    const job = queue.createJob({ payload: { ok: 1 }, mode: 'transient' });
    expect(await job.outcome).toEqual({ status: 'completed', result: { echo: { ok: 1 } } });
    expect(worker.state().connection).toMatch(/^linked\.online/);
    expect(queue.events.filter(eventIs('worker_registered'))).toHaveLength(1);
  });

  it('never sends pause while paused or resume while not paused', async () => {
    const queue = await queues.start();
    const worker = await workers.start(queue, { workerId: 'w-pr' });
    worker.resume();
    worker.pause();
    worker.pause();
    worker.resume();
    worker.resume();
    worker.pause();
    await until(
      () => queue.events.filter(eventIs('frame_in', (e) => e.frame.type === 'pause')).length === 2,
      5_000,
      'the second pause',
    );
    const job = queue.createJob({ payload: { after: 'pauses' }, mode: 'transient' });
    worker.resume();
    await job.outcome;
    const control = queue.events
      .filter(eventIs('frame_in'))
      .map((e) => e.frame.type)
      .filter((type) => type === 'pause' || type === 'resume');
    expect(control).toEqual(['pause', 'resume', 'pause', 'resume']);
  });
});
