/**
 * The full worker's scenarios (`casola-worker run` on the mock vLLM): throughput and latency
 * of chat completions on an instant engine against floor 2, and the time from `job_revoked`
 * to the engine seeing its request closed.
 */
import { chatPayloadOf } from '../batch.ts';
import type { Scenario } from '../registry.ts';
import { MIB } from '../stats.ts';
import { engineAbortScenario } from './engine-abort.ts';
import { startEnginePair } from './engine-pair.ts';
import { type Pairing, throughputScenario } from './throughput.ts';

/**
 * The mock answers at once, and prints no access line per request: during floor 2's rounds
 * the worker would otherwise be reading (and logging) a line for each of floor 2's requests.
 */
const INSTANT_ENGINE = '--instant --disable-uvicorn-access-log';

/** The full worker on an instant engine beside floor 2. */
const workerPairing: Pairing = {
  group: 'worker',
  versus: 'full worker vs floor 2 (instant mock vLLM)',
  ratioTarget: { transient: 0.6, persisted: 0.5 },
  payload: chatPayloadOf,
  start: (queue, { capacity, context }, started) =>
    startEnginePair(
      queue,
      { capacity, context, engineArgs: INSTANT_ENGINE, floorMode: 'answer' },
      started,
    ),
};

/** Jobs per measured round: every job is one more HTTP call, so fewer than the SDK's. */
function jobsPerRound(capacity: number, payloadBytes: number): number {
  if (payloadBytes >= MIB) return capacity === 1 ? 30 : 60;
  return capacity === 1 ? 500 : 1_000;
}

const throughput = [1, 8].flatMap((capacity) =>
  [100, MIB].flatMap((payloadBytes) =>
    (['persisted', 'transient'] as const).map((mode) =>
      throughputScenario(workerPairing, {
        capacity,
        payloadBytes,
        mode,
        jobs: jobsPerRound(capacity, payloadBytes),
      }),
    ),
  ),
);

export const workerScenarios: Scenario[] = [...throughput, engineAbortScenario];
