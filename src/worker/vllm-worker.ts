/**
 * The vLLM worker: the worker machine with vLLM as its engine, the seven tasks as its handler,
 * and heartbeats, log shipping, metrics and backpressure around it (worker.md).
 */
import type { DestinationStream } from 'pino';
import { type Actor, createActor, type InspectionEvent, toPromise } from 'xstate';
import type { WorkerMachine, WorkerOutput } from '../../machines/worker.machine.ts';
import { describeEnvironment, queueSocketUrl, type WorkerConfig } from '../config.ts';
import { engineApiKeyOf, engineModeOf, serveSettingsOf } from '../engine/command.ts';
import { createEngineLogic, type EngineOptions } from '../engine/index.ts';
import { TelemetryNotShippedError } from '../errors.ts';
import { httpBase } from '../net/http-base.ts';
import { createHeartbeatSender } from '../observability/heartbeat.ts';
import { createLogShipper } from '../observability/log-shipper.ts';
import type { Logger } from '../observability/logger.ts';
import { collectSnapshot, createMetricsReporter } from '../observability/metrics-reporter.ts';
import { createNvidiaSmiRunner, type NvidiaSmiRunner } from '../observability/nvidia-smi.ts';
import { secretArgValues } from '../observability/redact.ts';
import { createShippingLogger } from '../observability/shipping-logger.ts';
import { runTask, TASK_NAMES } from '../tasks/index.ts';
import { createBackpressureActor } from './backpressure.ts';
import { awaitingEngineVerdict } from './engine-verdict.ts';
import { createWorkerLogic, type WorkerTimings } from './logic.ts';
import { runningJobs } from './state.ts';
import { watchWorker } from './watch.ts';

export type VllmWorkerOptions = {
  config: WorkerConfig;
  /** Logged at start, masked. Default process.env. */
  env?: NodeJS.ProcessEnv;
  /** Where failures of log shipping itself are logged (never shipped). */
  stdoutLogger: Logger;
  /** Where the worker's and vLLM's JSON log lines go. Default: stdout. */
  logDestination?: DestinationStream;
  /** Default: nvidia-smi from PATH. */
  nvidiaSmi?: NvidiaSmiRunner;
  /** Protocol timers beyond what the environment sets (tests). */
  timings?: WorkerTimings;
  /** vLLM's timers beyond what the environment sets (tests): SIGKILL grace, /health probes. */
  engine?: Pick<EngineOptions, 'killGraceMs' | 'health'>;
  inspect?: (event: InspectionEvent) => void;
  /** The status server's address (CASOLA_STATUS_PORT sets its port). Default `0.0.0.0`. */
  statusHost?: string;
};

export type VllmWorker = {
  readonly actor: Actor<WorkerMachine>;
  readonly logger: Logger;
  /** Resolves when the worker has shut down, with its exit code. */
  readonly done: Promise<WorkerOutput>;
  /** The status server's base URL once it listens; undefined when it is off. */
  readonly statusUrl: Promise<string | undefined>;
  /** A signal: the first drains and shuts down, a second cuts the wait short. */
  shutdown(signal?: string): void;
};

export function startVllmWorker(options: VllmWorkerOptions): VllmWorker {
  const { config, stdoutLogger } = options;
  const startedAt = Date.now();
  const identity = { instanceId: config.instanceId, queueId: config.queueId };
  const shipper = createLogShipper({
    url: config.logsUrl,
    token: config.apiToken,
    ...identity,
    flushIntervalMs: config.logFlushIntervalMs,
    logger: stdoutLogger,
  });
  const destination = options.logDestination ? { destination: options.logDestination } : {};
  const logger = createShippingLogger({ shipper, ...destination });
  logger.info({ environment: describeEnvironment(options.env ?? process.env) }, 'environment');

  const runner = options.nvidiaSmi ?? createNvidiaSmiRunner();
  const vllmUrl = httpBase(config.vllmHost, config.vllmPort);
  const settings = serveSettingsOf(config);
  const endpoint = {
    baseUrl: vllmUrl,
    model: config.vllmServedModelName,
    mode: engineModeOf(settings),
    apiKey: engineApiKeyOf(settings),
  };
  const heartbeat = createHeartbeatSender({
    apiUrl: config.apiUrl,
    token: config.apiToken,
    ...identity,
    logger: stdoutLogger,
  });
  let actor: Actor<WorkerMachine> | undefined;
  const metrics = createMetricsReporter({
    url: config.metricsUrl,
    token: config.apiToken,
    ...identity,
    configId: config.configId,
    logger: stdoutLogger,
    collect: () =>
      collectSnapshot({
        runner,
        metricsUrl: `${vllmUrl}/metrics`,
        runningJobIds: () => Object.keys(runningJobs(actor?.system.get('gate'))),
        startedAt,
      }),
  });

  const engine = createEngineLogic({
    settings,
    logger,
    vllmLogger: createShippingLogger({
      shipper,
      source: 'vllm',
      secrets: [...secretArgValues(config.vllmExtraArgs), config.vllmApiKey ?? ''],
      ...destination,
    }),
    ...options.engine,
    gpu: {
      runner,
      ...(config.expectedGpuName === undefined ? {} : { expectedGpuName: config.expectedGpuName }),
      ...(config.expectedVramGb === undefined ? {} : { expectedVramGb: config.expectedVramGb }),
    },
  });

  const logic = createWorkerLogic({
    url: queueSocketUrl(config.wsUrl),
    token: config.apiToken,
    maxFrameBytes: config.maxFrameBytes,
    logger,
    timings: {
      gracePeriodMs: config.shutdownGracePeriodMs,
      heartbeatIntervalMs: config.heartbeatIntervalMs,
      ...options.timings,
    },
    handler: (job, context) =>
      awaitingEngineVerdict(
        () =>
          runTask(job.payload, {
            engine: endpoint,
            configId: job.configId,
            signal: context.signal,
            logger: context.logger,
            progress: context.progress,
          }),
        context.signal,
      ),
    parts: {
      engine,
      backpressure: createBackpressureActor({
        metricsUrl: `${vllmUrl}/metrics`,
        intervalMs: config.backpressureCheckIntervalMs,
      }),
      flushTelemetry: async () => {
        const [logs, metricsSnapshot] = await Promise.all([shipper.stop(), metrics.stop()]);
        if (!logs || !metricsSnapshot) {
          throw new TelemetryNotShippedError({ logs, metricsSnapshot });
        }
      },
      heartbeat: (status, errorMessage) => heartbeat.send(status, errorMessage),
    },
  });

  const watch = watchWorker({
    config,
    logger,
    tasks: TASK_NAMES,
    ...(options.inspect ? { inspect: options.inspect } : {}),
    ...(options.statusHost ? { statusHost: options.statusHost } : {}),
  });
  actor = createActor(logic, {
    id: 'worker',
    input: {
      workerId: config.instanceId,
      configId: config.configId,
      capacity: config.capacity,
      pauseThreshold: config.backpressurePauseThreshold,
      resumeThreshold: config.backpressureResumeThreshold,
      startupTimeoutMs: config.vllmStartupTimeoutMs,
      unhealthyTimeoutMs: config.vllmUnhealthyTimeoutMs,
    },
    ...watch.actorOptions,
  });
  const started = actor;
  shipper.start();
  metrics.start();
  started.start();
  return {
    actor: started,
    logger,
    done: toPromise(started).finally(() => watch.stop()),
    statusUrl: watch.start(started),
    shutdown: (signal) => {
      logger.info({ signal }, signal ? `received ${signal}: shutting down` : 'shutting down');
      started.send({ type: 'SHUTDOWN_REQUESTED', ...(signal ? { signal } : {}) });
    },
  };
}
