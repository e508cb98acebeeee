/**
 * Abort latency: the time from the queue sending job_revoked to the handler's AbortSignal
 * firing in the SDK worker's process, against the floor (a plain ws client noting when the
 * job_revoked frame arrives). Both clocks are performance.timeOrigin + performance.now() on
 * the same machine; rounds alternate floor and subject.
 */
import type { LocalQueue } from '../../../src/tools/queue/index.ts';
import { type BenchClient, withFloorAndSdk } from '../child.ts';
import { preciseNow } from '../clients/control.ts';
import type { Scenario, ScenarioResult } from '../registry.ts';
import { percentile, round } from '../stats.ts';

const REVOCATIONS_PER_ROUND = 40;
/** Raised from the 50 ms once met (p99 is 1–3 ms here). */
export const ABORT_P99_TARGET_MS = 10;

export const abortScenario: Scenario = {
  name: 'sdk/abort-latency',
  describe: `job_revoked sent → AbortSignal fired in the handler (target p99 < ${ABORT_P99_TARGET_MS} ms)`,
  run: (context) =>
    withFloorAndSdk(
      { capacity: 1, mode: 'abort', profileDir: context.profileDir },
      async (queue, { floor, sdk }) => {
        const samples = { floor: [] as number[], sdk: [] as number[] };
        for (let round = 0; round <= context.rounds; round += 1) {
          for (const client of round % 2 === 0 ? [floor, sdk] : [sdk, floor]) {
            const latencies = await revokeMany(queue, client, REVOCATIONS_PER_ROUND);
            // Round 0 warms up and is not counted.
            if (round > 0) samples[client.name as 'floor' | 'sdk'].push(...latencies);
          }
        }
        return [abortLatencyResult('sdk/abort-latency', samples.floor, samples.sdk)];
      },
    ),
};

/** Starts a job on the client, revokes it once it runs, and times the abort; `count` times. */
async function revokeMany(
  queue: LocalQueue,
  client: BenchClient,
  count: number,
): Promise<number[]> {
  const latencies: number[] = [];
  for (let i = 0; i < count; i += 1) {
    const started = client.next('started');
    const { jobId } = queue.createJob({ payload: {}, mode: 'persisted', config_id: client.name });
    await started;
    const aborted = client.next('aborted');
    const sentAt = preciseNow();
    queue.faults.revokeJob(jobId, { reason: 'bench' });
    latencies.push((await aborted).at - sentAt);
  }
  return latencies;
}

/** An abort-latency scenario's figures: the subject's percentiles beside its floor's. */
export function abortLatencyResult(
  scenario: string,
  floor: number[],
  subject: number[],
): ScenarioResult {
  const p99 = percentile(subject, 99);
  return {
    scenario,
    p50_ms: round(percentile(subject, 50)),
    p99_ms: round(p99),
    floor_p50_ms: round(percentile(floor, 50)),
    floor_p99_ms: round(percentile(floor, 99)),
    revocations: subject.length,
    target: `p99 < ${ABORT_P99_TARGET_MS} ms`,
    pass: p99 < ABORT_P99_TARGET_MS,
  };
}
