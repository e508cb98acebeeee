/**
 * Result offload as the queue sees it: a persisted job's result larger than 256 KiB of JSON
 * goes to its result_upload_url and the worker sends job_result_ref.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { type CasolaWorker, createWorker } from '../../src/index.ts';
import { eventIs } from '../../src/tools/queue/index.ts';
import { useQueueHarness } from '../support/queue-harness.ts';

const harness = useQueueHarness();
let worker: CasolaWorker | undefined;
afterEach(async () => {
  await worker?.stop();
  worker = undefined;
});

describe('result offload', () => {
  it('measures the result in bytes: 100 000 three-byte characters (300 KB) are offloaded', async () => {
    const queue = await harness.start({ resultUploadUrls: true });
    const text = '€'.repeat(100_000);
    worker = createWorker({
      wsUrl: queue.wsUrl,
      workerId: 'w1',
      configId: 'cfg',
      onJob: () => text,
    });
    worker.start();
    await queue.events.waitFor(eventIs('worker_registered'));
    const { outcome } = queue.createJob({ payload: {} });
    expect(await outcome).toEqual({ status: 'completed', result: text });
    const [accepted] = queue.events.filter(eventIs('outcome_accepted'));
    expect(accepted?.via).toBe('job_result_ref');
    const [put] = queue.events.filter(eventIs('offload_put'));
    expect(put).toMatchObject({ status: 200, bytes: Buffer.byteLength(JSON.stringify(text)) });
  });
});
