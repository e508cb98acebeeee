/**
 * Fuzz: fast-check sends an SDK worker arbitrary frame sequences through the local queue's
 * sendRaw. Property: the process sees no uncaught exception or unhandled rejection, the worker
 * stays online on its first connection, and every valid job in the sequence gets exactly one
 * answer (a result, or the error its handler threw) under its own fence token.
 *
 * Replay with FUZZ_SEED=<seed> (the seed is printed).
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CasolaWorker, createWorker, type JobHandler } from '../../src/index.ts';
import { eventIs, type LocalQueue, startLocalQueue } from '../../src/tools/queue/index.ts';
import { seedFrom } from '../support/prng.ts';
import { type Step, stepsArbitrary } from './frames.ts';

const SEED = seedFrom('FUZZ_SEED', 424_242);
const WORKER_ID = 'fuzz-worker';

let queue: LocalQueue;
let worker: CasolaWorker;
const crashes: unknown[] = [];
const onCrash = (error: unknown) => crashes.push(error);

/** Valid jobs carry `{ fail }`; anything else in a payload is garbage and gets `{ ok: true }`. */
const handler: JobHandler = (job) => {
  const payload = job.payload as { fail?: unknown } | null;
  if (typeof payload === 'object' && payload !== null && payload.fail === true) {
    throw new Error(`failing ${job.id} on purpose`);
  }
  return { ok: true };
};

beforeAll(async () => {
  process.on('uncaughtException', onCrash);
  process.on('unhandledRejection', onCrash);
  queue = await startLocalQueue({ eventLogLimit: 1_000_000 });
  worker = createWorker({
    wsUrl: queue.wsUrl,
    workerId: WORKER_ID,
    configId: 'fuzz',
    // Room for every garbage job that happens to be valid: no valid job is refused at capacity.
    capacity: 64,
    onJob: handler,
  });
  worker.start();
  await queue.events.waitFor(eventIs('worker_registered'));
});

afterAll(async () => {
  await worker.stop();
  await queue.close();
  process.off('uncaughtException', onCrash);
  process.off('unhandledRejection', onCrash);
});

type ValidJob = { jobId: string; fenceToken: number; fail: boolean; raw: string };

let sequences = 0;
let fence = 0;

function validJob(step: Extract<Step, { kind: 'valid' }>, jobId: string): ValidJob {
  const fenceToken = step.mode === 'persisted' ? ++fence : 0;
  const payload = { fail: step.fail, pad: 'p'.repeat(step.bytes) };
  const frame = {
    type: 'job',
    job_id: jobId,
    mode: step.mode,
    config_id: 'fuzz',
    fence_token: fenceToken,
    payload,
  };
  return { jobId, fenceToken, fail: step.fail, raw: JSON.stringify(frame) };
}

/** Sends the sequence, then one last valid job; returns the valid jobs sent. */
function send(steps: Step[]): ValidJob[] {
  const sequence = ++sequences;
  const valid: ValidJob[] = [];
  const sendRaw = (data: string | Uint8Array) =>
    queue.faults.sendRaw(WORKER_ID, typeof data === 'string' ? data : Buffer.from(data));
  const last: Step = { kind: 'valid', mode: 'persisted', fail: false, bytes: 0 };
  for (const step of [...steps, last]) {
    if (step.kind === 'valid') {
      valid.push(validJob(step, `valid-${sequence}-${valid.length}`));
      sendRaw(valid.at(-1)!.raw);
    } else if (step.kind === 'copy') {
      const original = valid[step.of % Math.max(1, valid.length)];
      if (original !== undefined) sendRaw(original.raw);
    } else {
      sendRaw(step.data);
    }
  }
  return valid;
}

/** A result or an error the worker sent for this job id. */
function answered(jobId: string) {
  return eventIs(
    'frame_in',
    (e) =>
      (e.frame.type === 'job_result' || e.frame.type === 'job_error') && e.frame.job_id === jobId,
  );
}

describe('an SDK worker fed arbitrary frames', () => {
  it('never crashes, stays online, and answers each valid job once', async () => {
    console.log(`fuzz seed ${SEED} (replay with FUZZ_SEED=${SEED})`);
    await fc.assert(
      fc.asyncProperty(stepsArbitrary, async (steps) => {
        const valid = send(steps);
        // Frames are handled in order and handlers answer at once: once every valid job (the
        // last one included) is answered, a second answer to any of them would have come too.
        const waits = valid.map((job) => queue.events.waitFor(answered(job.jobId)));
        // A crash explains a missing answer better than the timeout does.
        await Promise.all(waits).catch((error: unknown) => {
          expect(crashes).toEqual([]);
          throw error;
        });
        for (const job of valid) {
          const sent = queue.events.filter(answered(job.jobId)).map((e) => e.frame);
          expect(sent).toHaveLength(1);
          expect(sent[0]).toMatchObject({
            type: job.fail ? 'job_error' : 'job_result',
            fence_token: job.fenceToken,
          });
        }
        expect(crashes).toEqual([]);
        expect(queue.events.filter(eventIs('worker_registered'))).toHaveLength(1);
        expect(worker.state().connection).toMatch(/^linked\.online/);
        expect(worker.actor.getSnapshot().status).toBe('active');
      }),
      { seed: SEED, numRuns: 200 },
    );
  });
});
