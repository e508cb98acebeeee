/**
 * The scenario registry: every bench scenario, in the order `npm run bench` runs them.
 *
 * Two groups, built on the same pieces (a queue in this process, each client in its own
 * process via child.ts, floors measured in the same run, medians of alternating rounds): the
 * SDK's against floor 1, and the full vLLM worker's (engine + tasks + mock vLLM) against
 * floor 2. Last, two references with no I/O: what XState itself costs per job here, and the
 * most that batching the gate's events could save.
 */

import { gateBatchingScenario } from './scenarios/gate-batching.ts';
import { sdkScenarios } from './scenarios/index.ts';
import { workerScenarios } from './scenarios/worker.ts';
import { xstateCostScenario } from './scenarios/xstate-cost.ts';

/** One JSON line: the scenario's name and its measurements (snake_case, numbers rounded). */
export type ScenarioResult = {
  scenario: string;
  /** The target this scenario is held to, in words, when it has one. */
  target?: string;
  /** Whether the target was met. */
  pass?: boolean;
  [field: string]: string | number | boolean | null | undefined;
};

export type BenchContext = {
  /** Measured rounds per side (floor and subject), alternating. */
  rounds: number;
  /** A line of progress for the person watching (stderr). */
  progress(line: string): void;
  /** When set, every client writes a CPU profile (node --cpu-prof) into this folder. */
  profileDir: string | undefined;
};

export type Scenario = {
  name: string;
  /** What it measures, in one line. */
  describe: string;
  run(context: BenchContext): Promise<ScenarioResult[]>;
};

export const SCENARIOS: readonly Scenario[] = [
  ...sdkScenarios,
  ...workerScenarios,
  xstateCostScenario,
  gateBatchingScenario,
];
