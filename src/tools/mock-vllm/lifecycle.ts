/**
 * The mock engine's life: start-up (with its log lines), healthy, unhealthy, exited; and
 * the scheduled failures that move it between them.
 */

import { httpBase } from '../../net/http-base.ts';
import type { ResolvedOptions } from './options.ts';
import type { VllmLog } from './vllm-log.ts';

/**
 * - `starting`: loading the model; the API port is bound but refuses connections (only the
 *   control port answers, /mock).
 * - `healthy`: /health answers 200.
 * - `unhealthy`: /health answers 503; the API still answers (health lost, not the process).
 * - `exited`: the process is gone (in-process: the server is closed).
 */
export type Phase = 'starting' | 'healthy' | 'unhealthy' | 'exited';

export type Lifecycle = {
  phase(): Phase;
  /**
   * Health set from outside (POST /mock/health, signals); `why` goes into the log line.
   * False while start-up has not completed (or the process exited): nothing changed.
   */
  setHealthy(healthy: boolean, why: string): boolean;
  /**
   * Finish loading now (POST /mock/ready): /health answers 200 from here on. False when not
   * loading, or when start-up never completes (`neverHealthy`).
   */
  ready(): boolean;
  /** Exit with `code`; default the configured exit code (`crashOnRequest`, POST /mock/exit). */
  exit(code?: number): void;
  /** Cancel every pending timer (closing the server). */
  stop(): void;
};

const SHARDS = 4;

/** What the lifecycle does to the world: open the API port, end the process. */
export type LifecycleHooks = {
  /** Start-up completed: the API port listens from now on (uvicorn starts serving). */
  serve(): void;
  /** The process exits with `code` (in-process: the servers close). */
  exit(code: number): void;
};

/** What the lifecycle's steps share; `phase` is the one value that changes. */
type Engine = {
  options: ResolvedOptions;
  log: VllmLog;
  phase: Phase;
  /** When start-up began (ms since the epoch): loading ends early on POST /mock/ready. */
  startedAt: number;
  timers: Set<NodeJS.Timeout>;
  hooks: LifecycleHooks;
};

function later(engine: Engine, ms: number, run: () => void): void {
  const timer = setTimeout(() => {
    engine.timers.delete(timer);
    run();
  }, ms);
  engine.timers.add(timer);
}

/** Runs `run` after `ms`, or now when there is no delay (a mock without a start-up delay is ready when it resolves). */
function atOrNow(engine: Engine, ms: number, run: () => void): void {
  if (ms > 0) later(engine, ms, run);
  else run();
}

function stopTimers(engine: Engine): void {
  for (const timer of engine.timers) clearTimeout(timer);
  engine.timers.clear();
}

function exit(engine: Engine, code = engine.options.exitCode): void {
  if (engine.phase === 'exited') return;
  engine.phase = 'exited';
  stopTimers(engine);
  engine.hooks.exit(code);
}

function setHealthy(engine: Engine, healthy: boolean, why: string): boolean {
  if (engine.phase === 'exited' || engine.phase === 'starting') return false;
  if ((engine.phase === 'healthy') === healthy) return true;
  engine.phase = healthy ? 'healthy' : 'unhealthy';
  if (healthy) engine.log.info('mock.py:1', `health regained (${why}); /health answers 200`);
  else engine.log.warning('mock.py:1', `health lost (${why}); /health answers 503`);
  return true;
}

function scheduleHealthLoss(engine: Engine): void {
  const { unhealthyAfterMs, unhealthyForMs } = engine.options;
  if (unhealthyAfterMs === undefined) return;
  later(engine, unhealthyAfterMs, () => {
    setHealthy(engine, false, '--unhealthy-after-ms');
    if (unhealthyForMs === undefined) return;
    later(engine, unhealthyForMs, () => setHealthy(engine, true, '--unhealthy-for-ms'));
  });
}

function becomeReady(engine: Engine): void {
  // Loading may have ended early (POST /mock/ready) or the process exited meanwhile.
  if (engine.phase !== 'starting') return;
  const { options, log } = engine;
  const address = httpBase(options.host, options.port);
  const seconds = (Math.min(options.startupDelayMs, Date.now() - engine.startedAt) / 1000).toFixed(
    2,
  );
  log.info('default_loader.py:272', `Loading weights took ${seconds} seconds`);
  if (options.neverHealthy) {
    log.warning(
      'mock.py:1',
      '--never-healthy: start-up never completes; the API port stays closed',
    );
    return;
  }
  engine.hooks.serve();
  log.info('api_server.py:1127', `Starting vLLM API server 0 on ${address}`);
  log.uvicorn(`Started server process [${process.pid}]`);
  log.uvicorn('Waiting for application startup.');
  log.uvicorn('Application startup complete.');
  log.uvicorn(`Uvicorn running on ${address} (Press CTRL+C to quit)`);
  engine.phase = 'healthy';
  scheduleHealthLoss(engine);
}

/** Loading lines spread over the start-up delay, then ready; the failure line when asked. */
function scheduleStartup(engine: Engine): void {
  const { options, log } = engine;
  log.info('gpu_model_runner.py:1595', `Starting to load model ${options.model}...`);
  for (let shard = 0; shard < SHARDS; shard++) {
    atOrNow(engine, (options.startupDelayMs * shard) / SHARDS, () => {
      if (engine.phase !== 'starting') return;
      const percent = String((shard * 100) / SHARDS).padStart(3);
      log.raw(`Loading safetensors checkpoint shards: ${percent}% Completed | ${shard}/${SHARDS}`);
    });
  }
  atOrNow(engine, options.startupDelayMs, () => becomeReady(engine));
  const failLine = options.failWithLine;
  if (failLine === undefined) return;
  later(engine, options.failAfterMs, () => {
    log.raw(failLine);
    exit(engine);
  });
}

export function createLifecycle(
  options: ResolvedOptions,
  log: VllmLog,
  hooks: LifecycleHooks,
): Lifecycle {
  const engine: Engine = {
    options,
    log,
    phase: 'starting',
    startedAt: Date.now(),
    timers: new Set(),
    hooks,
  };
  scheduleStartup(engine);
  return {
    phase: () => engine.phase,
    setHealthy: (healthy, why) => setHealthy(engine, healthy, why),
    ready: () => {
      if (engine.phase !== 'starting' || options.neverHealthy) return false;
      becomeReady(engine);
      return true;
    },
    exit: (code) => exit(engine, code),
    stop: () => stopTimers(engine),
  };
}
