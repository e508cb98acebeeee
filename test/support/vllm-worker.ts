/**
 * The vLLM worker as `casola-worker run` starts it (configuration from an environment), on a
 * local queue, with the mock vLLM spawned through VLLM_SERVE_COMMAND: the real engine path.
 * Everything started is shut down after each test; logs are captured.
 */
import { afterEach } from 'vitest';
import { loadConfig } from '../../src/config.ts';
import { freePort } from '../../src/net/free-port.ts';
import { mockServeCommand } from '../../src/tools/mock-vllm/serve-command.ts';
import { type LocalQueue, startLocalQueue } from '../../src/tools/queue/index.ts';
import { startVllmWorker, type VllmWorker } from '../../src/worker/vllm-worker.ts';
import { type CapturedLogs, captureLogs } from './log-capture.ts';

const MOCK_SERVE_COMMAND = mockServeCommand();

export type RunningVllmWorker = {
  queue: LocalQueue;
  worker: VllmWorker;
  logs: CapturedLogs;
};

export function useVllmWorkers() {
  const running: RunningVllmWorker[] = [];
  afterEach(async () => {
    for (const { queue, worker } of running.splice(0)) {
      if (worker.actor.getSnapshot().status === 'active') worker.shutdown('test finished');
      await worker.done;
      await queue.close();
    }
  });
  return {
    /** `env` adds to (or overrides) a minimal worker environment: CASOLA_STATUS_PORT, CASOLA_INSPECT, ... */
    async start(env: Record<string, string> = {}): Promise<RunningVllmWorker> {
      const queue = await startLocalQueue();
      const full = {
        CASOLA_WS_URL: queue.wsUrl,
        CASOLA_CONFIG_ID: 'cfg',
        CASOLA_INSTANCE_ID: 'test-worker',
        CASOLA_CAPACITY: '2',
        CASOLA_SHUTDOWN_GRACE_PERIOD: '5',
        VLLM_MODEL: 'test/model',
        VLLM_PORT: String(await freePort()),
        VLLM_SERVE_COMMAND: MOCK_SERVE_COMMAND,
        // vLLM-Omni's surface: plain vLLM's plus speech and video, so every task runs.
        VLLM_OMNI: 'true',
        ...env,
      };
      const loaded = loadConfig(full);
      if (!loaded.ok) throw loaded.error;
      const logs = captureLogs('info');
      const worker = startVllmWorker({
        config: loaded.config,
        env: full,
        stdoutLogger: logs.logger,
        logDestination: logs.destination,
        statusHost: '127.0.0.1',
      });
      const started = { queue, worker, logs };
      running.push(started);
      return started;
    },
  };
}
