/**
 * Throughput and added latency: the SDK (handler returns at once) against floor 1 (a plain ws
 * client that answers at once), both connected to the same local queue, each in its own
 * process. Rounds alternate floor and subject so that a noisy machine slows both alike; the
 * ratio is of the medians. The client not being measured is paused, so that the queue's
 * scheduler works exactly as it would with the measured client alone.
 */
import type { JobMode } from '../../../src/protocol/index.ts';
import { startLocalQueue } from '../../../src/queue/index.ts';
import { type Batch, payloadOf, runBatch } from '../batch.ts';
import { BenchClient } from '../child.ts';
import type { BenchContext, Scenario, ScenarioResult } from '../registry.ts';
import { MIB, median, mib, percentile, round } from '../stats.ts';

export type ThroughputCase = {
  capacity: number;
  payloadBytes: number;
  mode: JobMode;
  /** Jobs per measured round. */
  jobs: number;
};

/** SDK jobs/s at capacity 8 must be at least this share of the floor's. */
const RATIO_TARGET = 0.5;

export function throughputScenario(spec: ThroughputCase): Scenario {
  const size = spec.payloadBytes >= MIB ? `${spec.payloadBytes / MIB}MiB` : `${spec.payloadBytes}B`;
  const name = `sdk/throughput/cap${spec.capacity}/${size}/${spec.mode}`;
  return {
    name,
    describe: `${spec.jobs} ${spec.mode} jobs of ${size} at capacity ${spec.capacity}, SDK vs floor`,
    run: async (context) => [await measure(name, spec, context)],
  };
}

async function measure(
  name: string,
  spec: ThroughputCase,
  context: BenchContext,
): Promise<ScenarioResult> {
  const queue = await startLocalQueue({ eventLogLimit: 500 });
  const clients: BenchClient[] = [];
  try {
    const start = (kind: 'floor' | 'sdk') =>
      BenchClient.start(queue, {
        kind,
        name: kind,
        capacity: spec.capacity,
        mode: 'answer',
        profileDir: context.profileDir,
      });
    const floor = await start('floor');
    clients.push(floor);
    const sdk = await start('sdk');
    clients.push(sdk);
    const payload = payloadOf(spec.payloadBytes);
    // Only the client being measured takes jobs; the other is paused (see BenchClient.dispatch).
    const batch = async (client: BenchClient, count: number) => {
      const other = client === floor ? sdk : floor;
      await other.dispatch('pause');
      await client.dispatch('resume');
      return runBatch(queue, { count, mode: spec.mode, payload, configId: client.name });
    };
    // Warm-up: JIT, connection pools, first allocations; not measured.
    await batch(floor, Math.ceil(spec.jobs / 4));
    await batch(sdk, Math.ceil(spec.jobs / 4));
    await Promise.all([floor.resetPeak(), sdk.resetPeak()]);
    const rounds = { floor: [] as Batch[], sdk: [] as Batch[] };
    for (let round = 0; round < context.rounds; round += 1) {
      const order = round % 2 === 0 ? ([floor, sdk] as const) : ([sdk, floor] as const);
      for (const client of order) {
        rounds[client.name as 'floor' | 'sdk'].push(await batch(client, spec.jobs));
      }
      context.progress(`${name}: round ${round + 1}/${context.rounds}`);
    }
    const [floorMemory, sdkMemory] = await Promise.all([floor.memory(false), sdk.memory(false)]);
    return summarise(name, spec, rounds, floorMemory.peakBytes, sdkMemory.peakBytes);
  } finally {
    for (const client of clients) await client.stop();
    await queue.close();
  }
}

function summarise(
  name: string,
  spec: ThroughputCase,
  rounds: { floor: Batch[]; sdk: Batch[] },
  floorPeak: number,
  sdkPeak: number,
): ScenarioResult {
  const rate = (batches: Batch[]) => median(batches.map((batch) => batch.jobsPerS));
  const latencies = (batches: Batch[]) => batches.flatMap((batch) => batch.latenciesMs);
  const ratio = rate(rounds.sdk) / rate(rounds.floor);
  const held = spec.capacity === 8;
  return {
    scenario: name,
    jobs_per_s: round(rate(rounds.sdk)),
    floor_jobs_per_s: round(rate(rounds.floor)),
    ratio: round(ratio),
    p50_ms: round(percentile(latencies(rounds.sdk), 50)),
    p99_ms: round(percentile(latencies(rounds.sdk), 99)),
    floor_p50_ms: round(percentile(latencies(rounds.floor), 50)),
    floor_p99_ms: round(percentile(latencies(rounds.floor), 99)),
    rss_mb: mib(sdkPeak),
    floor_rss_mb: mib(floorPeak),
    jobs: spec.jobs,
    rounds: rounds.sdk.length,
    ...(held ? { target: `ratio >= ${RATIO_TARGET}`, pass: ratio >= RATIO_TARGET } : {}),
  };
}
