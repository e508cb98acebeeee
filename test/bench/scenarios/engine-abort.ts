/**
 * Engine abort latency: the time from the queue sending `job_revoked` for a persisted chat
 * job to the engine (the mock vLLM, answering after 10 minutes) seeing that job's request
 * closed, through the full worker and, alternately, through floor 2 (which aborts its request
 * as soon as the frame arrives). The mock timestamps each close itself (GET /mock/aborted);
 * both clocks are performance.timeOrigin + performance.now() on the same machine.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { request } from 'undici';
import { type LocalQueue, startLocalQueue } from '../../../src/tools/queue/index.ts';
import { chatPayloadOf } from '../batch.ts';
import type { BenchClient } from '../child.ts';
import { preciseNow } from '../clients/control.ts';
import type { Scenario } from '../registry.ts';
import { ABORT_P99_TARGET_MS, abortLatencyResult } from './abort.ts';
import { startEnginePair } from './engine-pair.ts';

const NAME = 'worker/abort-latency';
const REVOCATIONS_PER_ROUND = 20;
/** A mock that holds every answer far longer than a sample takes. */
const SLOW_ENGINE = '--response-delay-ms 600000 --disable-uvicorn-access-log';
/** How often the mock is asked whether a request arrived or closed, in ms. */
const POLL_MS = 2;
/** How long one request may take to arrive or to close before the scenario gives up, in ms. */
const WAIT_MS = 10_000;

export const engineAbortScenario: Scenario = {
  name: NAME,
  describe: `job_revoked sent → the engine sees its request closed (target p99 < ${ABORT_P99_TARGET_MS} ms), worker vs floor 2`,
  run: async (context) => {
    const queue = await startLocalQueue({ eventLogLimit: 500 });
    const clients: BenchClient[] = [];
    try {
      const pair = await startEnginePair(
        queue,
        { capacity: 1, context, engineArgs: SLOW_ENGINE, floorMode: 'abort' },
        clients,
      );
      const engine = new MockEngine(pair.engineUrl);
      const samples = { floor: [] as number[], subject: [] as number[] };
      for (let round = 0; round <= context.rounds; round += 1) {
        const order =
          round % 2 === 0 ? (['floor', 'subject'] as const) : (['subject', 'floor'] as const);
        for (const side of order) {
          const client = side === 'floor' ? pair.floor : pair.subject;
          const latencies = await revokeMany(queue, client, engine, REVOCATIONS_PER_ROUND);
          // Round 0 warms up and is not counted.
          if (round > 0) samples[side].push(...latencies);
        }
      }
      return [abortLatencyResult(NAME, samples.floor, samples.subject)];
    } finally {
      for (const client of clients) await client.stop();
      await queue.close();
    }
  },
};

type Closed = { id: number; closed_at_ms: number };

/** What the bench asks the mock: how many requests run, and which were closed when. */
class MockEngine {
  readonly #url: string;

  constructor(url: string) {
    this.#url = url;
  }

  async running(): Promise<number> {
    return ((await this.#get('/mock/state')) as { running: number }).running;
  }

  /** The request closed last (the mock keeps the latest ones only). */
  async lastClosed(): Promise<Closed | undefined> {
    const { aborted } = (await this.#get('/mock/aborted')) as { aborted: Closed[] };
    return aborted.at(-1);
  }

  /** Polls until `check` gives a value. */
  async until<T>(what: string, check: () => Promise<T | undefined>): Promise<T> {
    const deadline = performance.now() + WAIT_MS;
    for (;;) {
      const value = await check();
      if (value !== undefined) return value;
      if (performance.now() > deadline) throw new Error(`${NAME}: ${what} within ${WAIT_MS} ms`);
      await sleep(POLL_MS);
    }
  }

  async #get(path: string): Promise<unknown> {
    const response = await request(`${this.#url}${path}`);
    return response.body.json();
  }
}

/** Starts a job on the client, revokes it once its request runs in the engine, and times the close; `count` times. */
async function revokeMany(
  queue: LocalQueue,
  client: BenchClient,
  engine: MockEngine,
  count: number,
): Promise<number[]> {
  const latencies: number[] = [];
  for (let i = 0; i < count; i += 1) {
    const before = (await engine.lastClosed())?.id;
    const payload = chatPayloadOf(100);
    const { jobId } = queue.createJob({ payload, mode: 'persisted', config_id: client.name });
    await engine.until('no request reached the engine', async () =>
      (await engine.running()) === 1 ? true : undefined,
    );
    const sentAt = preciseNow();
    queue.faults.revokeJob(jobId, { reason: 'bench' });
    const closed = await engine.until('the engine never saw the request close', async () => {
      const last = await engine.lastClosed();
      return last !== undefined && last.id !== before ? last : undefined;
    });
    latencies.push(closed.closed_at_ms - sentAt);
  }
  return latencies;
}
