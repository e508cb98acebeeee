/**
 * Throughput and added latency of a subject against its floor, both connected to the same
 * local queue, each in its own process: the SDK (handler returns at once) against floor 1 (a
 * plain ws client that answers at once), or the full worker on an instant engine against
 * floor 2 (the same client making one HTTP call per job to that engine). Rounds alternate
 * floor and subject so that a noisy machine slows both alike; the ratio is of the medians.
 * The client not being measured is paused, so that the queue's scheduler works exactly as it
 * would with the measured client alone.
 */
import type { JobMode, JsonValue } from '../../../src/protocol/index.ts';
import { type LocalQueue, startLocalQueue } from '../../../src/tools/queue/index.ts';
import { type Batch, runBatch } from '../batch.ts';
import type { BenchClient } from '../child.ts';
import type { BenchContext, Scenario, ScenarioResult } from '../registry.ts';
import { MIB, median, mib, percentile, round } from '../stats.ts';

export type ThroughputCase = {
  capacity: number;
  payloadBytes: number;
  mode: JobMode;
  /** Jobs per measured round. */
  jobs: number;
};

/** A subject and its floor, as a group of throughput scenarios measures them. */
export type Pairing = {
  /** The scenarios' name prefix, e.g. `sdk`. */
  group: string;
  /** The two sides in words, e.g. `SDK vs floor 1`. */
  versus: string;
  /**
   * At capacity 8 the subject's jobs/s must be at least this share of the floor's, by mode for
   * small jobs; large (1 MiB) jobs of either mode are held to the transient share.
   */
  ratioTarget: Record<JobMode, number>;
  /** The subject's actor events per job, where it is measured (events.ts). */
  eventsPerJob?(mode: JobMode): Promise<number>;
  /** A job payload whose JSON is about `bytes` long. */
  payload(bytes: number): JsonValue;
  /**
   * Starts both clients on `queue`, each put into `started` as soon as it runs (so that they
   * are stopped however start-up ends). Both take jobs under their own name as config id.
   */
  start(
    queue: LocalQueue,
    options: { capacity: number; context: BenchContext },
    started: BenchClient[],
  ): Promise<{ floor: BenchClient; subject: BenchClient }>;
};

export function throughputScenario(pairing: Pairing, spec: ThroughputCase): Scenario {
  const size = spec.payloadBytes >= MIB ? `${spec.payloadBytes / MIB}MiB` : `${spec.payloadBytes}B`;
  const name = `${pairing.group}/throughput/cap${spec.capacity}/${size}/${spec.mode}`;
  return {
    name,
    describe: `${spec.jobs} ${spec.mode} jobs of ${size} at capacity ${spec.capacity}, ${pairing.versus}`,
    run: async (context) => [await measure(name, pairing, spec, context)],
  };
}

/** A batch with the CPU time its client and the queue (this process) spent per job. */
type Measured = Batch & { cpuMicrosPerJob: number; queueCpuMicrosPerJob: number };

type Rounds = { floor: Measured[]; subject: Measured[] };

async function measure(
  name: string,
  pairing: Pairing,
  spec: ThroughputCase,
  context: BenchContext,
): Promise<ScenarioResult> {
  const queue = await startLocalQueue({ eventLogLimit: 500 });
  const clients: BenchClient[] = [];
  try {
    const { floor, subject } = await pairing.start(
      queue,
      { capacity: spec.capacity, context },
      clients,
    );
    const payload = pairing.payload(spec.payloadBytes);
    // Only the client being measured takes jobs; the other is paused (see BenchClient.dispatch).
    const batch = async (client: BenchClient, count: number): Promise<Measured> => {
      const other = client === floor ? subject : floor;
      await other.dispatch('pause');
      await client.dispatch('resume');
      const cpuBefore = client.cpuMicros();
      const queueBefore = process.cpuUsage();
      const result = await runBatch(queue, {
        count,
        mode: spec.mode,
        payload,
        configId: client.name,
      });
      const queueCpu = process.cpuUsage(queueBefore);
      return {
        ...result,
        cpuMicrosPerJob: (client.cpuMicros() - cpuBefore) / count,
        queueCpuMicrosPerJob: (queueCpu.user + queueCpu.system) / count,
      };
    };
    // Warm-up: JIT, connection pools, first allocations; not measured.
    await batch(floor, Math.ceil(spec.jobs / 4));
    await batch(subject, Math.ceil(spec.jobs / 4));
    await Promise.all([floor.resetPeak(), subject.resetPeak()]);
    const rounds: Rounds = { floor: [], subject: [] };
    for (let round = 0; round < context.rounds; round += 1) {
      const order =
        round % 2 === 0 ? (['floor', 'subject'] as const) : (['subject', 'floor'] as const);
      for (const side of order) {
        rounds[side].push(await batch(side === 'floor' ? floor : subject, spec.jobs));
      }
      context.progress(`${name}: round ${round + 1}/${context.rounds}`);
    }
    const [floorMemory, subjectMemory] = await Promise.all([
      floor.memory('none'),
      subject.memory('none'),
    ]);
    const events = await pairing.eventsPerJob?.(spec.mode);
    const result = summarise(
      name,
      pairing,
      spec,
      rounds,
      floorMemory.peakBytes,
      subjectMemory.peakBytes,
    );
    return events === undefined ? result : { ...result, events_per_job: round(events) };
  } finally {
    for (const client of clients) await client.stop();
    await queue.close();
  }
}

function summarise(
  name: string,
  pairing: Pairing,
  spec: ThroughputCase,
  rounds: Rounds,
  floorPeak: number,
  subjectPeak: number,
): ScenarioResult {
  const rate = (batches: Batch[]) => median(batches.map((batch) => batch.jobsPerS));
  const cpu = (batches: Measured[]) => median(batches.map((batch) => batch.cpuMicrosPerJob));
  const queueCpu = (batches: Measured[]) =>
    median(batches.map((batch) => batch.queueCpuMicrosPerJob));
  const latencies = (batches: Batch[]) => batches.flatMap((batch) => batch.latenciesMs);
  const ratio = rate(rounds.subject) / rate(rounds.floor);
  // Each round's own ratio (its subject and floor batches ran back to back): how far the
  // machine's noise moves the figure the target reads.
  const roundRatios = rounds.subject.map((batch, i) => batch.jobsPerS / rounds.floor[i]!.jobsPerS);
  const held = spec.capacity === 8;
  const target = pairing.ratioTarget[spec.payloadBytes >= MIB ? 'transient' : spec.mode];
  return {
    scenario: name,
    jobs_per_s: round(rate(rounds.subject)),
    floor_jobs_per_s: round(rate(rounds.floor)),
    ratio: round(ratio),
    round_ratio_min: round(Math.min(...roundRatios)),
    round_ratio_max: round(Math.max(...roundRatios)),
    p50_ms: round(percentile(latencies(rounds.subject), 50)),
    p99_ms: round(percentile(latencies(rounds.subject), 99)),
    floor_p50_ms: round(percentile(latencies(rounds.floor), 50)),
    floor_p99_ms: round(percentile(latencies(rounds.floor), 99)),
    rss_mb: mib(subjectPeak),
    floor_rss_mb: mib(floorPeak),
    cpu_us_per_job: round(cpu(rounds.subject)),
    floor_cpu_us_per_job: round(cpu(rounds.floor)),
    queue_cpu_us_per_job: round(queueCpu(rounds.subject)),
    floor_queue_cpu_us_per_job: round(queueCpu(rounds.floor)),
    jobs: spec.jobs,
    rounds: rounds.subject.length,
    ...(held ? { target: `ratio >= ${target}`, pass: ratio >= target } : {}),
  };
}
