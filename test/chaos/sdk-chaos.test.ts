/**
 * Chaos: 2 000 jobs, transient and persisted, through a real local queue to a real SDK worker
 * while the queue misbehaves at random (seeded) moments. Afterwards every job is accounted for
 * from the queue's event log and job objects, and the worker is still online.
 *
 * Replay a run with CHAOS_SEED=<seed> (the seed is printed).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { type CasolaWorker, createWorker } from '../../src/index.ts';
import {
  eventIs,
  type JobOutcome,
  type LocalQueue,
  startLocalQueue,
} from '../../src/tools/queue/index.ts';
import { createPrng, type Prng, seedFrom } from '../support/prng.ts';
import { account, summarise } from './accounting.ts';
import { FaultDriver } from './fault-driver.ts';
import { type Invocation, type PlannedJob, planJobs, plannedHandler } from './plan.ts';
import { createWitness, type Witness } from './witness.ts';

const SEED = seedFrom('CHAOS_SEED', 20_240_611);
const JOBS = 2_000;
const WORKER_ID = 'chaos-worker';
/** Jobs are created in small batches while fewer than MAX_UNSETTLED are open, so none waits long. */
const BATCH = 8;
const MAX_UNSETTLED = 40;
/** A run that has not settled every job by then is reported with what is missing. */
const DEADLINE_MS = 100_000;

let queue: LocalQueue | undefined;
let worker: CasolaWorker | undefined;
afterEach(async () => {
  await worker?.stop();
  await queue?.close();
});

/** Uncaught exceptions and unhandled rejections in this process while the run lasts. */
function watchProcess(): { errors: unknown[]; stop(): void } {
  const errors: unknown[] = [];
  const onError = (error: unknown) => errors.push(error);
  process.on('uncaughtException', onError);
  process.on('unhandledRejection', onError);
  return {
    errors,
    stop: () => {
      process.off('uncaughtException', onError);
      process.off('unhandledRejection', onError);
    },
  };
}

function startWorker(live: LocalQueue, prng: Prng, invocations: Invocation[], witness: Witness) {
  return createWorker({
    wsUrl: live.wsUrl,
    workerId: WORKER_ID,
    configId: 'chaos',
    capacity: 8,
    onJob: plannedHandler(invocations),
    inspect: witness.inspect,
    timings: {
      pingIntervalMs: 100,
      pongTimeoutMs: 100,
      reconnectDelayMs: () => 10 + prng.int(0, 20),
      // Renewals well inside the 300 ms lease: leases hold unless a disconnect outlasts them.
      renewIntervalMs: 80,
      gracePeriodMs: 1_000,
    },
  });
}

type Ledger = { plan: Map<string, PlannedJob>; outcomes: Map<string, JobOutcome> };

/** Creates every planned job, a batch at a time, until done or past the deadline. */
async function createAll(
  live: LocalQueue,
  jobs: PlannedJob[],
  driver: FaultDriver,
  { plan, outcomes }: Ledger,
  deadline: number,
): Promise<void> {
  for (let next = 0; next < jobs.length && Date.now() < deadline; ) {
    await new Promise((resolve) => setTimeout(resolve, 5));
    // A transient job needs a connected worker when it is created (else it fails no_worker).
    if (live.workers().length === 0 || plan.size - outcomes.size >= MAX_UNSETTLED) continue;
    for (const planned of jobs.slice(next, next + BATCH)) {
      const { jobId, outcome } = live.createJob({ payload: planned, mode: planned.mode });
      plan.set(jobId, planned);
      driver.revokeLater(jobId, planned);
      void outcome.then((value) => outcomes.set(jobId, value));
    }
    next += BATCH;
  }
}

async function settleAll({ plan, outcomes }: Ledger, deadline: number): Promise<void> {
  while (outcomes.size < plan.size && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe('an SDK worker under chaos', () => {
  it('accounts for every one of 2 000 jobs and stays online', { timeout: 150_000 }, async () => {
    const prng = createPrng(SEED);
    console.log(`chaos seed ${SEED} (replay with CHAOS_SEED=${SEED})`);
    const crashes = watchProcess();
    queue = await startLocalQueue({
      leaseMs: 300,
      transientTimeoutMs: 3_000,
      resultUploadUrls: true,
      eventLogLimit: 5_000_000,
    });
    const invocations: Invocation[] = [];
    const witness = createWitness();
    worker = startWorker(queue, prng, invocations, witness);
    worker.start();
    await queue.events.waitFor(eventIs('worker_registered'));
    witness.watch(worker);
    const driver = new FaultDriver(queue, WORKER_ID, prng);
    const ledger: Ledger = { plan: new Map(), outcomes: new Map() };
    const started = Date.now();
    driver.start();
    await createAll(queue, planJobs(prng, JOBS), driver, ledger, started + DEADLINE_MS);
    await settleAll(ledger, started + DEADLINE_MS);
    driver.stop();
    await worker.connected();
    crashes.stop();
    witness.stop();

    const accounting = account({ queue, invocations, witness, ...ledger });
    const seconds = (Date.now() - started) / 1000;
    console.log(JSON.stringify({ seed: SEED, seconds, ...summarise(queue, accounting, driver) }));
    expect(ledger.plan.size).toBe(JOBS);
    expect(accounting.violations).toEqual([]);
    // Jobs the queue timed out before dispatching them tell nothing about the worker; a run
    // with many of them exercised too little.
    expect(accounting.tally['failed:timeout_in_backlog'] ?? 0).toBeLessThanOrEqual(JOBS / 100);
    expect(crashes.errors).toEqual([]);
    expect(worker.state().connection).toMatch(/^linked\.online/);
    expect(worker.actor.getSnapshot().status).toBe('active');
  });
});
