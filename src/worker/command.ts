/**
 * `casola-worker run`: configuration from the environment (exit 2 when it is bad), signals
 * wired to the worker's shutdown, and the worker's exit code as the process's.
 */
import { watchParent } from '../cli/parent-watch.ts';
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
  const unwatch = watchNpmParent(env, () => {
    // A first shutdown request only: never a second signal cutting a running drain short.
    if (worker.actor.getSnapshot().hasTag('stopping')) return;
    worker.shutdown();
  });
  const { exitCode, failure } = await worker.done;
  unwatch();
  process.off('SIGTERM', onSignal);
  process.off('SIGINT', onSignal);
  worker.logger.info({ exit_code: exitCode, failure }, 'worker stopped');
  return exitCode;
}

/**
 * Under npm (`npx casola-worker run`, `npm start`: npm sets `npm_command`, see npm's docs,
 * using-npm/scripts.md), a worker whose npm died (killed with SIGTERM, npm ends at once) stops as
 * on SIGTERM instead of running on under nobody. Started otherwise (`nohup casola-worker run &`,
 * a supervisor) its parent may go and it runs on. Returns a function that stops watching.
 */
function watchNpmParent(env: NodeJS.ProcessEnv, stop: () => void): () => void {
  if (env.npm_command === undefined) return () => {};
  return watchParent((parent) => {
    process.stderr.write(
      `casola-worker: the parent process ${parent} (npm) is gone; stopping as on SIGTERM\n`,
    );
    stop();
  });
}
