/**
 * An 8 MiB result through offload: the SDK worker's handler returns 8 MiB of JSON for a
 * persisted job with a result_upload_url; the worker PUTs it and sends job_result_ref. Its
 * peak RSS (VmHWM) above idle (after GC) must stay under 4 × 8 MiB (the bound).
 */
import { eventIs, startLocalQueue } from '../../../src/tools/queue/index.ts';
import { BenchClient } from '../child.ts';
import type { BenchContext, Scenario, ScenarioResult } from '../registry.ts';
import { MIB, median, mib } from '../stats.ts';

const RESULT_BYTES = 8 * MIB;
/**
 * The 4 ×. A raised 3 × did not hold: the same tree read a worst round of 15–25 MiB
 * above idle from run to run (one round in five; the median about 8.3 MiB), a GC's timing.
 */
const LIMIT_BYTES = 4 * RESULT_BYTES;

export const offloadScenario: Scenario = {
  name: 'sdk/offload/8MiB-result',
  describe: 'peak RSS above idle while an 8 MiB result is uploaded (target < 4 × 8 MiB)',
  run: async (context) => {
    const queue = await startLocalQueue({ eventLogLimit: 200, resultUploadUrls: true });
    const sdk = await BenchClient.start(queue, {
      kind: 'sdk',
      name: 'sdk',
      capacity: 1,
      mode: 'big',
      resultBytes: RESULT_BYTES,
      profileDir: context.profileDir,
    });
    try {
      return [await measure(queue, sdk, context)];
    } finally {
      await sdk.stop();
      await queue.close();
    }
  },
};

async function measure(
  queue: Awaited<ReturnType<typeof startLocalQueue>>,
  sdk: BenchClient,
  context: BenchContext,
): Promise<ScenarioResult> {
  const above: number[] = [];
  let idle = 0;
  // One unmeasured job first: the upload's HTTP client and its pool are set up once.
  for (let run = 0; run <= context.rounds; run += 1) {
    idle = (await sdk.memory('full')).rssBytes;
    await sdk.resetPeak();
    const { outcome } = queue.createJob({ payload: {}, mode: 'persisted', config_id: 'sdk' });
    const result = await outcome;
    if (result.status !== 'completed')
      throw new Error(`the 8 MiB job failed: ${JSON.stringify(result)}`);
    const { peakBytes } = await sdk.memory('none');
    if (run > 0) above.push(peakBytes - idle);
  }
  const offloaded = queue.events.filter(
    eventIs('outcome_accepted', (e) => e.via === 'job_result_ref'),
  );
  const worst = Math.max(...above);
  return {
    scenario: 'sdk/offload/8MiB-result',
    rss_mb: mib(idle + worst),
    idle_rss_mb: mib(idle),
    peak_above_idle_mb: mib(worst),
    median_above_idle_mb: mib(median(above)),
    runs_above_idle_mb: above.map(mib).join(' '),
    limit_mb: mib(LIMIT_BYTES),
    offloaded: offloaded.length,
    rounds: above.length,
    target: 'peak above idle < 4 × 8 MiB',
    pass: worst < LIMIT_BYTES && offloaded.length === context.rounds + 1,
  };
}
