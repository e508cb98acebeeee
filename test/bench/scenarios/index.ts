/**
 * The SDK's scenarios: throughput and latency against floor 1, memory growth over 20 000
 * jobs, an 8 MiB result through offload, and abort latency.
 */
import { payloadOf } from '../batch.ts';
import { BenchClient } from '../child.ts';
import type { Scenario } from '../registry.ts';
import { MIB } from '../stats.ts';
import { abortScenario } from './abort.ts';
import { eventsPerJob } from './events.ts';
import { memoryScenario } from './memory.ts';
import { offloadScenario } from './offload.ts';
import { type Pairing, throughputScenario } from './throughput.ts';

/** The SDK (a handler that returns at once) beside floor 1. */
const sdkPairing: Pairing = {
  group: 'sdk',
  versus: 'SDK vs floor 1',
  // Issue 17's targets: a persisted job's lease costs what no floor pays.
  ratioTarget: { transient: 0.5, persisted: 0.35 },
  eventsPerJob,
  payload: payloadOf,
  start: async (queue, { capacity, context }, started) => {
    const start = async (kind: 'floor' | 'sdk') => {
      const client = await BenchClient.start(queue, {
        kind,
        name: kind,
        capacity,
        mode: 'answer',
        profileDir: context.profileDir,
      });
      started.push(client);
      return client;
    };
    return { floor: await start('floor'), subject: await start('sdk') };
  },
};

/** Jobs per measured round: enough for a stable rate, few enough for a 3-minute bench. */
function jobsPerRound(capacity: number, payloadBytes: number): number {
  if (payloadBytes >= MIB) return capacity === 1 ? 40 : 80;
  return capacity === 1 ? 1_000 : 2_000;
}

const throughput = [1, 8].flatMap((capacity) =>
  [100, MIB].flatMap((payloadBytes) =>
    (['persisted', 'transient'] as const).map((mode) =>
      throughputScenario(sdkPairing, {
        capacity,
        payloadBytes,
        mode,
        jobs: jobsPerRound(capacity, payloadBytes),
      }),
    ),
  ),
);

export const sdkScenarios: Scenario[] = [
  ...throughput,
  memoryScenario,
  offloadScenario,
  abortScenario,
];
