/**
 * The API token never leaks: not in stdout or stderr (the worker's lines and vLLM's), not in
 * a shipped log entry, not in any body or header the platform or the queue received, except
 * as the bearer header itself. Scanned after runs that exercise the paths that log the most:
 * jobs, failed deliveries, a refused queue connection, a vLLM failure, bad configuration.
 */
import { describe, expect, it } from 'vitest';
import { eventIs, type LocalQueue } from '../../../src/tools/queue/index.ts';
import type { HttpSink } from '../../support/http-sink.ts';
import { postJson } from '../../support/queue-harness.ts';
import {
  API_TOKEN,
  CONFIG_ID,
  SINK_PATHS,
  useWorkerHarness,
} from '../../support/worker-harness.ts';
import {
  pathWithoutNvidiaSmi,
  startWorkerProcess,
  type WorkerProcess,
} from '../../support/worker-process.ts';

const harness = useWorkerHarness();

/** What must not appear: the token, and a prefix long enough to identify it. */
const FORBIDDEN = [API_TOKEN, API_TOKEN.slice(0, 8)];

const BEARER = `Bearer ${API_TOKEN}`;

/** Every text a run produced that the token must not be in, each with where it came from. */
function texts(
  worker: WorkerProcess,
  sink?: HttpSink,
  queue?: LocalQueue,
): Array<[string, string]> {
  const found: Array<[string, string]> = [
    ...worker.stdout.map((line): [string, string] => ['stdout', line]),
    ...worker.stderr.map((line): [string, string] => ['stderr', line]),
  ];
  for (const request of sink?.requests ?? []) {
    const { authorization, ...headers } = request.headers;
    expect(authorization).toBe(BEARER);
    found.push([
      `sink ${request.path}`,
      `${request.path}?${request.query} ${JSON.stringify(headers)} ${request.rawBody}`,
    ]);
  }
  for (const event of queue?.events.all() ?? []) {
    if (event.kind === 'connection_opened' || event.kind === 'connection_refused') {
      const { authorization, ...headers } = event.headers;
      expect(authorization).toBe(BEARER);
      found.push([`queue ${event.kind}`, JSON.stringify(headers)]);
    } else {
      found.push([`queue ${event.kind}`, JSON.stringify(event)]);
    }
  }
  return found;
}

function expectNoToken(found: Array<[string, string]>): void {
  expect(found.length).toBeGreaterThan(0);
  const leaks = found.filter(([, text]) => FORBIDDEN.some((secret) => text.includes(secret)));
  expect(leaks).toEqual([]);
}

describe('casola-worker run: the API token never leaks', () => {
  it('through jobs, failed heartbeats and log batches, and shutdown', async () => {
    const { queue, sink, worker } = await harness.start();
    sink.respond(SINK_PATHS.heartbeats, { status: 401, body: { detail: 'bad token' } });
    sink.respond(SINK_PATHS.logs, { failTimes: 1, failStatus: 500 });
    await worker.waitForLine(/heartbeat 'active' not delivered/);
    await worker.waitForLine(/log batch not shipped/);
    const chat = await postJson(`${queue.httpUrl}/v1/chat/completions`, {
      model: CONFIG_ID,
      messages: [{ role: 'user', content: 'hello' }],
    });
    expect(chat.status).toBe(200);
    const invalid = await postJson(`${queue.httpUrl}/jobs`, {
      payload: { task: 'openai/embeddings' },
    });
    await queue.events.waitFor(eventIs('outcome_accepted', (e) => e.status === 'failed'));
    expect(invalid.status).toBe(200);
    worker.signal('SIGTERM');
    expect(await worker.exitCode).toBe(0);

    expect(sink.requestsTo(SINK_PATHS.logs).length).toBeGreaterThan(1);
    expect(worker.stdout.some((line) => line.includes('CASOLA_API_TOKEN=****4242'))).toBe(true);
    expectNoToken(texts(worker, sink, queue));
  });

  it('when the queue refuses the token', async () => {
    const { queue, sink, worker } = await harness.start({
      queue: { requireToken: 'some-other-token' },
      waitRegistered: false,
    });
    await queue.events.waitFor(eventIs('connection_refused'), { timeoutMs: 20_000 });
    await worker.waitForLine(
      /the queue refused the connection \(HTTP 401\): check CASOLA_API_TOKEN/,
    );
    worker.signal('SIGTERM');
    expect(await worker.exitCode).toBe(0);
    expectNoToken(texts(worker, sink, queue));
  });

  it('when vLLM fails with a fatal line', async () => {
    const { sink, worker } = await harness.start({
      mockArgs: [
        '--fail-with-line',
        'CUDA driver version is insufficient for CUDA runtime version',
      ],
      waitRegistered: false,
    });
    expect(await worker.exitCode).toBe(1);
    expectNoToken(texts(worker, sink));
  });

  it('when the configuration is bad', async () => {
    const worker = startWorkerProcess({
      PATH: pathWithoutNvidiaSmi(),
      CASOLA_API_TOKEN: API_TOKEN,
      CASOLA_CAPACITY: 'abc',
      CASOLA_CONFIG_ID: 'cfg',
    });
    expect(await worker.exitCode).toBe(2);
    expectNoToken(texts(worker));
  });

  it("when vLLM echoes its own arguments, --api-key's value among them", async () => {
    const vllmKey = 'sk-vllm-KEY-31337';
    // vLLM's --api-key takes several keys (api_key: list[str]): the second one is as secret.
    const otherKey = 'sk-vllm-OTHER-4711';
    const { sink, worker } = await harness.start({
      mockArgs: ['--api-key', vllmKey, otherKey, '--api-key=sk-vllm-EQ-2718'],
    });
    // The mock, as vLLM's start-up does (non-default args: {..., 'api_key': [...]}), prints it.
    await worker.waitForLine(/non-default args: .*api_key\W+\*\*\*\*\W/);
    worker.signal('SIGTERM');
    expect(await worker.exitCode).toBe(0);
    const found = texts(worker, sink);
    const keys = [vllmKey, otherKey, 'sk-vllm-EQ-2718'];
    expect(found.filter(([, text]) => keys.some((key) => text.includes(key)))).toEqual([]);
    const shipped = sink.requestsTo(SINK_PATHS.logs).map((request) => request.rawBody);
    expect(shipped.some((body) => /non-default args: .*api_key\W+\*\*\*\*\W/.test(body))).toBe(
      true,
    );
  });
});
