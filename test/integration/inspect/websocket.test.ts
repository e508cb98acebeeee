/**
 * CASOLA_INSPECT=ws://... on the vLLM worker (mock vLLM, local queue): a local WebSocket
 * receiver gets the inspection events of a real run, and an inspector nobody listens for
 * costs one warning while the run completes.
 */
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocketServer } from 'ws';
import { jobActorId } from '../../../machines/job-actors.ts';
import { freePort } from '../../../src/net/free-port.ts';
import { eventIs } from '../../../src/tools/queue/index.ts';
import { useVllmWorkers } from '../../support/vllm-worker.ts';

const workers = useVllmWorkers();

type Received = {
  type: string;
  _version: string;
  sessionId: string;
  name?: string;
  event?: { type: string };
  snapshot?: { value?: unknown; status?: string };
};

/** Credentials in CASOLA_INSPECT: no log line (and so no shipped entry) may show them. */
const PASSWORD = 'S3cretPW';
const TOKEN = 'inspect-tok-77';

function expectNoCredentials(lines: readonly string[]): void {
  for (const line of lines) {
    expect(line).not.toContain(PASSWORD);
    expect(line).not.toContain(TOKEN);
  }
}

const receivers: WebSocketServer[] = [];
afterEach(async () => {
  for (const server of receivers.splice(0)) {
    await new Promise((resolve) => server.close(resolve));
  }
});

/** A stand-in for an inspector's server: records every frame; `closed` when the worker hangs up. */
async function startReceiver() {
  const server = new WebSocketServer({ host: '127.0.0.1', port: 0 });
  receivers.push(server);
  await new Promise((resolve) => server.once('listening', resolve));
  const received: Received[] = [];
  const closed = new Promise<void>((resolve) => {
    server.on('connection', (socket) => {
      socket.on('message', (data) => received.push(JSON.parse(String(data)) as Received));
      socket.on('close', () => resolve());
    });
  });
  const { port } = server.address() as AddressInfo;
  return { url: `ws://admin:${PASSWORD}@127.0.0.1:${port}/?token=${TOKEN}`, received, closed };
}

describe('the WebSocket inspector', () => {
  it("receives a real run's actor registrations, snapshots and events", async () => {
    const receiver = await startReceiver();
    const { queue, worker, logs } = await workers.start({ CASOLA_INSPECT: receiver.url });
    await queue.events.waitFor(eventIs('worker_registered'), { timeoutMs: 20_000 });
    const job = queue.createJob({ payload: { task: 'openai/embeddings', input: 'hello' } });
    expect((await job.outcome).status).toBe('completed');
    worker.shutdown('test');
    expect((await worker.done).exitCode).toBe(0);
    await receiver.closed;
    expect(logs.entries().map((e) => e.msg)).toContain(
      'Stately inspector connected: inspection events go to it',
    );
    expectNoCredentials(logs.lines());

    const { received } = receiver;
    for (const event of received) {
      expect(event._version).toEqual(expect.any(String));
      expect(event.sessionId).toEqual(expect.any(String));
    }
    const registered = received.filter((e) => e.type === '@xstate.actor').map((e) => e.name);
    expect(registered).toEqual(
      expect.arrayContaining(['worker', 'engine', 'connection', 'gate', jobActorId(job.jobId)]),
    );
    const events = received.filter((e) => e.type === '@xstate.event').map((e) => e.event?.type);
    expect(events).toEqual(
      expect.arrayContaining(['ENGINE_READY', 'QUEUE_CONNECTED', 'JOB_OFFERED', 'JOB_ENDED']),
    );
    const sessionOf = (name: string) => received.find((e) => e.name === name)?.sessionId;
    const snapshotsOf = (name: string) =>
      received.filter((e) => e.type === '@xstate.snapshot' && e.sessionId === sessionOf(name));
    expect(snapshotsOf('engine').map((e) => e.snapshot?.value)).toContainEqual({
      running: 'ready',
    });
    expect(snapshotsOf(jobActorId(job.jobId)).at(-1)?.snapshot).toMatchObject({
      value: 'result',
      tags: ['ended'],
    });
    expect(snapshotsOf('worker').at(-1)?.snapshot).toMatchObject({
      value: 'exited',
      status: 'done',
    });
  });

  it('warns once when the inspector cannot be reached, and the run completes', async () => {
    const port = await freePort();
    const nowhere = `ws://admin:${PASSWORD}@127.0.0.1:${port}/?token=${TOKEN}`;
    const { queue, worker, logs } = await workers.start({ CASOLA_INSPECT: nowhere });
    await queue.events.waitFor(eventIs('worker_registered'), { timeoutMs: 20_000 });
    const job = queue.createJob({ payload: { task: 'openai/embeddings', input: 'hello' } });
    expect((await job.outcome).status).toBe('completed');
    worker.shutdown('test');
    expect((await worker.done).exitCode).toBe(0);

    const warnings = logs.entries().filter((e) => String(e.msg).includes('inspector'));
    expect(warnings).toEqual([
      expect.objectContaining({
        level: 40,
        msg: expect.stringContaining(
          `the Stately inspector at ws://admin:****@127.0.0.1:${port}/?token=**** cannot be reached`,
        ),
      }),
    ]);
    expectNoCredentials(logs.lines());
  });
});
