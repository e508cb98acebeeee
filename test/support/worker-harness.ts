/**
 * One end-to-end setup per test: a local queue (in process, port 0, requiring the token), an
 * HTTP sink standing in for the platform's heartbeat, logs and metrics endpoints, and
 * `casola-worker run` as a child process whose vLLM is the mock (through VLLM_SERVE_COMMAND,
 * its failure flags through VLLM_EXTRA_ARGS). Everything is closed after each test.
 */
import { afterAll, afterEach } from 'vitest';
import {
  eventIs,
  type LocalQueue,
  type LocalQueueOptions,
  startLocalQueue,
} from '../../src/tools/queue/index.ts';
import { freePort } from './free-port.ts';
import { type HttpSink, startHttpSink } from './http-sink.ts';
import {
  MOCK_VLLM_COMMAND,
  pathWithoutNvidiaSmi,
  shellQuote,
  startWorkerProcess,
  type WorkerProcess,
} from './worker-process.ts';

/** The API token of every run: distinctive, so that a leak is easy to find. */
export const API_TOKEN = 'tok-DO-NOT-LEAK-4242';
export const CONFIG_ID = 'cfg-e2e';
export const INSTANCE_ID = 'e2e-worker';
export const QUEUE_ID = 'e2e-queue';
export const SERVED_MODEL = 'e2e-served';

export const SINK_PATHS = {
  heartbeats: '/api/heartbeats',
  logs: '/ingest/logs',
  metrics: '/ingest/metrics',
} as const;

export type WorkerRunOptions = {
  /** `mock-vllm serve` flags, passed through VLLM_EXTRA_ARGS. Default none. */
  mockArgs?: readonly string[];
  /** Variables to set over the defaults; `undefined` removes one. */
  env?: Record<string, string | undefined>;
  /** Resolve once the queue has registered the worker. Default true. */
  waitRegistered?: boolean;
  /** Start the worker as the leader of a process group of its own, as a shell does. */
  ownProcessGroup?: boolean;
  /** Start the worker as the child of a shell (`sh -c`): `worker.pid` and `signal` are the shell's. */
  underShell?: boolean;
  queue?: LocalQueueOptions;
};

export type WorkerRun = {
  queue: LocalQueue;
  sink: HttpSink;
  worker: WorkerProcess;
  /** The environment the worker was started with. */
  env: Record<string, string>;
};

/** Fast timers for tests (fractional seconds are accepted). */
const FAST = {
  CASOLA_HEARTBEAT_INTERVAL: '0.3',
  CASOLA_LOG_FLUSH_INTERVAL: '0.2',
  CASOLA_BACKPRESSURE_CHECK_INTERVAL: '0.1',
  CASOLA_SHUTDOWN_GRACE_PERIOD: '10',
};

/** How long start-up may take before the test gives up, in ms (/health is polled every 2 s). */
const REGISTER_WAIT_MS = 20_000;

/**
 * @param scope `test`: what a test started is closed after it (default); `file`: after the
 * file's last test, for runs started in `beforeAll` and shared by its tests.
 */
export function useWorkerHarness(scope: 'test' | 'file' = 'test') {
  const opened: Array<{ close(): Promise<void> }> = [];
  (scope === 'test' ? afterEach : afterAll)(async () => {
    for (const resource of opened.reverse()) await resource.close();
    opened.length = 0;
  });

  return {
    async start(options: WorkerRunOptions = {}): Promise<WorkerRun> {
      const queue = await startLocalQueue({ requireToken: API_TOKEN, ...options.queue });
      opened.push(queue);
      const sink = await startHttpSink();
      opened.push(sink);
      const env = workerEnv({
        queue,
        sink,
        vllmPort: await freePort(),
        mockArgs: options.mockArgs ?? [],
        overrides: options.env ?? {},
      });
      const worker = startWorkerProcess(env, {
        ownProcessGroup: options.ownProcessGroup ?? false,
        underShell: options.underShell ?? false,
      });
      opened.push({ close: () => worker.stop() });
      if (options.waitRegistered ?? true) {
        await Promise.race([
          queue.events.waitFor(eventIs('worker_registered'), { timeoutMs: REGISTER_WAIT_MS }),
          worker.exitCode.then((code) => {
            throw new Error(
              `worker exited (${code}) before registering:\n${worker.stdout.join('\n')}`,
            );
          }),
        ]);
      }
      return { queue, sink, worker, env };
    },
  };
}

function workerEnv(options: {
  queue: LocalQueue;
  sink: HttpSink;
  vllmPort: number;
  mockArgs: readonly string[];
  overrides: Record<string, string | undefined>;
}): Record<string, string> {
  const { queue, sink } = options;
  const env: Record<string, string | undefined> = {
    PATH: pathWithoutNvidiaSmi(),
    CASOLA_WS_URL: queue.wsUrl,
    CASOLA_CONFIG_ID: CONFIG_ID,
    CASOLA_INSTANCE_ID: INSTANCE_ID,
    CASOLA_QUEUE_ID: QUEUE_ID,
    CASOLA_CAPACITY: '4',
    CASOLA_API_URL: sink.url,
    CASOLA_API_TOKEN: API_TOKEN,
    CASOLA_LOGS_URL: `${sink.url}${SINK_PATHS.logs}`,
    CASOLA_METRICS_URL: `${sink.url}${SINK_PATHS.metrics}`,
    ...FAST,
    VLLM_MODEL: 'e2e/model',
    VLLM_SERVED_MODEL_NAME: SERVED_MODEL,
    VLLM_PORT: String(options.vllmPort),
    VLLM_SERVE_COMMAND: MOCK_VLLM_COMMAND,
    // vLLM-Omni's surface: plain vLLM's plus speech and video, so every task runs.
    VLLM_OMNI: 'true',
    VLLM_EXTRA_ARGS: options.mockArgs.map(shellQuote).join(' '),
    VLLM_STARTUP_TIMEOUT: '30',
    ...options.overrides,
  };
  return Object.fromEntries(
    Object.entries(env).filter((entry): entry is [string, string] => entry[1] !== undefined),
  );
}
