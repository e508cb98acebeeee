/**
 * `casola-worker run`: configuration from the environment (exit 2 when it is bad), signals
 * wired to the worker's shutdown, and the worker's exit code as the process's.
 */
import { loadConfig } from '../config.ts';
import { createLogger } from '../observability/logger.ts';
import { startVllmWorker } from './vllm-worker.ts';

export async function runWorkerCommand(env: NodeJS.ProcessEnv): Promise<number> {
  const loaded = loadConfig(env);
  if (!loaded.ok) {
    process.stderr.write(`casola-worker: ${loaded.error.message}\n`);
    return 2;
  }
  const worker = startVllmWorker({ config: loaded.config, env, stdoutLogger: createLogger() });
  const onSignal = (signal: NodeJS.Signals) => worker.shutdown(signal);
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
  const { exitCode, failure } = await worker.done;
  process.off('SIGTERM', onSignal);
  process.off('SIGINT', onSignal);
  worker.logger.info({ exit_code: exitCode, failure }, 'worker stopped');
  return exitCode;
}
