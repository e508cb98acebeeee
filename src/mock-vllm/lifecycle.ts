/**
 * The mock engine's life: start-up (with its log lines), healthy, unhealthy, exited; and
 * the scheduled failures that move it between them.
 */
import type { ResolvedOptions } from './options.ts';
import type { VllmLog } from './vllm-log.ts';

/**
 * - `starting`: loading the model; /health and the API answer 503.
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
  /** Exit with the configured exit code (`crashOnRequest`). */
  exit(): void;
  /** Cancel every pending timer (closing the server). */
  stop(): void;
};

const SHARDS = 4;

export function createLifecycle(
  options: ResolvedOptions,
  log: VllmLog,
  onExit: (code: number) => void,
): Lifecycle {
  let phase: Phase = 'starting';
  const timers = new Set<NodeJS.Timeout>();
  const later = (ms: number, run: () => void) => {
    const timer = setTimeout(() => {
      timers.delete(timer);
      run();
    }, ms);
    timers.add(timer);
  };
  const stop = () => {
    for (const timer of timers) clearTimeout(timer);
    timers.clear();
  };
  const exit = (code: number) => {
    if (phase === 'exited') return;
    phase = 'exited';
    stop();
    onExit(code);
  };

  const setHealthy = (healthy: boolean, why: string) => {
    if (phase === 'exited' || phase === 'starting') return false;
    if ((phase === 'healthy') === healthy) return true;
    phase = healthy ? 'healthy' : 'unhealthy';
    if (healthy) log.info('mock.py:1', `health regained (${why}); /health answers 200`);
    else log.warning('mock.py:1', `health lost (${why}); /health answers 503`);
    return true;
  };

  const becomeReady = () => {
    const address = `http://${options.host}:${options.port}`;
    log.info(
      'default_loader.py:272',
      `Loading weights took ${(options.startupDelayMs / 1000).toFixed(2)} seconds`,
    );
    if (options.neverHealthy) {
      log.warning('mock.py:1', '--never-healthy: start-up never completes; /health answers 503');
      return;
    }
    log.info('api_server.py:1127', `Starting vLLM API server 0 on ${address}`);
    log.uvicorn(`Started server process [${process.pid}]`);
    log.uvicorn('Waiting for application startup.');
    log.uvicorn('Application startup complete.');
    log.uvicorn(`Uvicorn running on ${address} (Press CTRL+C to quit)`);
    phase = 'healthy';
    if (options.unhealthyAfterMs === undefined) return;
    later(options.unhealthyAfterMs, () => {
      setHealthy(false, '--unhealthy-after-ms');
      const regainAfter = options.unhealthyForMs;
      if (regainAfter !== undefined)
        later(regainAfter, () => setHealthy(true, '--unhealthy-for-ms'));
    });
  };

  const start = () => {
    log.info('gpu_model_runner.py:1595', `Starting to load model ${options.model}...`);
    for (let shard = 0; shard < SHARDS; shard++) {
      later((options.startupDelayMs * shard) / SHARDS, () => {
        const percent = String((shard * 100) / SHARDS).padStart(3);
        log.raw(
          `Loading safetensors checkpoint shards: ${percent}% Completed | ${shard}/${SHARDS}`,
        );
      });
    }
    later(options.startupDelayMs, becomeReady);
    const failLine = options.failWithLine;
    if (failLine !== undefined) {
      later(options.failAfterMs, () => {
        log.raw(failLine);
        exit(options.exitCode);
      });
    }
  };

  start();
  return {
    phase: () => phase,
    setHealthy,
    exit: () => exit(options.exitCode),
    stop,
  };
}
