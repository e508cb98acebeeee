/**
 * Memory growth: 20 000 jobs (half persisted, half transient, in batches of 1 000) through
 * one SDK worker and, alternately, through the floor. RSS after 2 000 jobs and after 20 000,
 * each read right after a full GC (the clients run with --expose-gc), must be within 10 % of
 * each other. The live heap after GC is reported beside it: it tells a leak from a heap that
 * V8 keeps reserved (RSS stays high when freed pages are returned to the system lazily).
 */
import { startLocalQueue } from '../../../src/queue/index.ts';
import { payloadOf, runBatch } from '../batch.ts';
import { BenchClient, type Memory } from '../child.ts';
import type { Scenario, ScenarioResult } from '../registry.ts';
import { mib, round } from '../stats.ts';

const FIRST = 2_000;
const TOTAL = 20_000;
const BATCH = 1_000;
const GROWTH_TARGET = 0.1;

type Readings = { first?: Memory; last?: Memory };

export const memoryScenario: Scenario = {
  name: 'sdk/memory/20k-jobs',
  describe: `RSS after ${FIRST} and after ${TOTAL} jobs (after GC), capacity 8, SDK and floor`,
  run: async (context) => {
    const queue = await startLocalQueue({ eventLogLimit: 500 });
    const clients: BenchClient[] = [];
    try {
      for (const kind of ['floor', 'sdk'] as const) {
        clients.push(
          await BenchClient.start(queue, {
            kind,
            name: kind,
            capacity: 8,
            mode: 'answer',
            profileDir: context.profileDir,
          }),
        );
      }
      const readings: Record<string, Readings> = { floor: {}, sdk: {} };
      for (let done = BATCH; done <= TOTAL; done += BATCH) {
        const mode = (done / BATCH) % 2 === 0 ? 'transient' : 'persisted';
        for (const client of clients) {
          // Only the measured client takes jobs (see BenchClient.dispatch).
          for (const other of clients) await other.dispatch(other === client ? 'resume' : 'pause');
          await runBatch(queue, {
            count: BATCH,
            mode,
            payload: payloadOf(100),
            configId: client.name,
          });
          const reading = readings[client.name]!;
          if (done === FIRST) reading.first = await client.memory(true);
          if (done === TOTAL) reading.last = await client.memory(true);
        }
        if (done % 5_000 === 0) context.progress(`sdk/memory: ${done} jobs each`);
      }
      return [summarise(readings.sdk!, readings.floor!)];
    } finally {
      for (const client of clients) await client.stop();
      await queue.close();
    }
  },
};

function summarise(sdk: Readings, floor: Readings): ScenarioResult {
  const growth = (readings: Readings) => readings.last!.rssBytes / readings.first!.rssBytes - 1;
  return {
    scenario: 'sdk/memory/20k-jobs',
    rss_mb: mib(sdk.last!.rssBytes),
    floor_rss_mb: mib(floor.last!.rssBytes),
    rss_after_2k_mb: mib(sdk.first!.rssBytes),
    rss_after_20k_mb: mib(sdk.last!.rssBytes),
    rss_growth: round(growth(sdk)),
    heap_used_after_2k_mb: mib(sdk.first!.heapUsedBytes),
    heap_used_after_20k_mb: mib(sdk.last!.heapUsedBytes),
    heap_total_after_2k_mb: mib(sdk.first!.heapTotalBytes),
    heap_total_after_20k_mb: mib(sdk.last!.heapTotalBytes),
    floor_rss_after_2k_mb: mib(floor.first!.rssBytes),
    floor_rss_growth: round(growth(floor)),
    target: `rss growth <= ${GROWTH_TARGET * 100} %`,
    pass: growth(sdk) <= GROWTH_TARGET,
  };
}
