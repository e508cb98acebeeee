/**
 * The full worker and floor 2 on one engine: the worker client spawns the mock vLLM through
 * VLLM_SERVE_COMMAND on a port chosen here (the product's engine path), and floor 2 calls that
 * same mock, so both sides of a round meet the same engine process.
 */
import { freePort } from '../../../src/net/free-port.ts';
import type { LocalQueue } from '../../../src/tools/queue/index.ts';
import { BenchClient, type ClientOptions, type EngineSettings } from '../child.ts';
import type { BenchContext } from '../registry.ts';

/** The `model` every request names (VLLM_SERVED_MODEL_NAME). */
const MODEL = 'bench-model';

export type EnginePairOptions = {
  capacity: number;
  context: BenchContext;
  /** The mock's arguments (VLLM_EXTRA_ARGS), e.g. `--instant`. */
  engineArgs: string;
  /** floor 2's mode: `answer` each job, or wait for its `abort`. */
  floorMode: ClientOptions['mode'];
};

export type EnginePair = {
  floor: BenchClient;
  subject: BenchClient;
  /** The mock vLLM's root URL. */
  engineUrl: string;
};

/** Starts the worker (and with it the mock), then floor 2; each goes into `started` once it runs. */
export async function startEnginePair(
  queue: LocalQueue,
  options: EnginePairOptions,
  started: BenchClient[],
): Promise<EnginePair> {
  const engine: EngineSettings = { port: await freePort(), model: MODEL, args: options.engineArgs };
  const common = {
    capacity: options.capacity,
    engine,
    profileDir: options.context.profileDir,
  };
  const subject = await BenchClient.start(queue, {
    kind: 'worker',
    name: 'worker',
    mode: 'answer',
    ...common,
  });
  started.push(subject);
  const floor = await BenchClient.start(queue, {
    kind: 'floor-engine',
    name: 'floor',
    mode: options.floorMode,
    ...common,
  });
  started.push(floor);
  return { floor, subject, engineUrl: `http://127.0.0.1:${engine.port}` };
}
