/**
 * The SDK's scenarios: throughput and latency against floor 1, memory growth over 20 000
 * jobs, an 8 MiB result through offload, and abort latency.
 */
import type { Scenario } from '../registry.ts';
import { MIB } from '../stats.ts';
import { abortScenario } from './abort.ts';
import { memoryScenario } from './memory.ts';
import { offloadScenario } from './offload.ts';
import { throughputScenario } from './throughput.ts';

/** Jobs per measured round: enough for a stable rate, few enough for a 3-minute bench. */
function jobsPerRound(capacity: number, payloadBytes: number): number {
  if (payloadBytes >= MIB) return capacity === 1 ? 40 : 80;
  return capacity === 1 ? 1_000 : 2_000;
}

const throughput = [1, 8].flatMap((capacity) =>
  [100, MIB].flatMap((payloadBytes) =>
    (['persisted', 'transient'] as const).map((mode) =>
      throughputScenario({
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
