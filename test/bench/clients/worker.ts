/**
 * The subject of the full-worker scenarios: `casola-worker run` as the product runs it, that
 * is startVllmWorker in this process, configured by loadConfig from an environment whose
 * VLLM_SERVE_COMMAND is the mock vLLM (the real engine path: spawn, line reading, /health and
 * /v1/models). Capacity from the scenario; no heartbeats, log shipping or metrics (their URLs
 * are unset); backpressure off. Its JSON logs go to stdout as in production (the parent
 * discards them). The mock's port is chosen by the parent, so that floor 2 can share it.
 *
 * node test/bench/clients/worker.ts --url ws://... --worker-id w --config-id w --capacity 8
 *   --vllm-port PORT --model default --engine-args '--instant --disable-uvicorn-access-log'
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { loadConfig } from '../../../src/config.ts';
import { createLogger } from '../../../src/observability/logger.ts';
import { mockServeCommand } from '../../../src/tools/mock-vllm/serve-command.ts';
import { describeWorker } from '../../../src/worker/state.ts';
import { startVllmWorker, type VllmWorker } from '../../../src/worker/vllm-worker.ts';
import { argument, report, serveControl } from './control.ts';

/** How long start-up may take: spawn, the first /health poll (every 2 s), register. */
const READY_WITHIN_MS = 30_000;

const env: Record<string, string> = {
  CASOLA_WS_URL: argument('url'),
  CASOLA_CONFIG_ID: argument('config-id'),
  CASOLA_INSTANCE_ID: argument('worker-id'),
  CASOLA_CAPACITY: argument('capacity'),
  CASOLA_BACKPRESSURE_CHECK_INTERVAL: '0',
  VLLM_MODEL: 'bench/model',
  VLLM_SERVED_MODEL_NAME: argument('model'),
  VLLM_PORT: argument('vllm-port'),
  VLLM_SERVE_COMMAND: mockServeCommand(),
  // vLLM-Omni's surface: plain vLLM's plus speech and video, so every task runs.
  VLLM_OMNI: 'true',
  VLLM_EXTRA_ARGS: argument('engine-args'),
  VLLM_STARTUP_TIMEOUT: '30',
};

const loaded = loadConfig(env);
if (!loaded.ok) throw loaded.error;
const worker = startVllmWorker({ config: loaded.config, env, stdoutLogger: createLogger() });
let stopped = false;
void worker.done.then((output) => {
  stopped = true;
  process.stderr.write(`bench worker stopped: ${JSON.stringify(output)}\n`);
});

/** Resolves once the worker has registered (the engine is ready by then). */
async function online(started: VllmWorker): Promise<void> {
  const deadline = Date.now() + READY_WITHIN_MS;
  while (!describeWorker(started.actor).connection.startsWith('linked.online')) {
    if (stopped || Date.now() > deadline) throw new Error('the bench worker did not come online');
    await sleep(20);
  }
}

await online(worker);
report({ type: 'ready' });
const gate = () => worker.actor.system.get('gate');
void serveControl({
  pause: () => gate()?.send({ type: 'PAUSE_REQUESTED' }),
  resume: () => gate()?.send({ type: 'RESUME_REQUESTED' }),
});
