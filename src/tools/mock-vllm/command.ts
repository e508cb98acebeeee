/**
 * `casola-worker mock-vllm serve`: the mock as a process, so the worker's real engine code
 * (spawn, line reading, health polling, exit handling) runs against it without a GPU.
 */
import { startEngineCore } from './engine-core.ts';
import { type MockVllm, type MockVllmOptions, startMockVllm } from './server.ts';
import { createVllmLog } from './vllm-log.ts';

export type MockVllmServeOptions = MockVllmOptions & {
  /**
   * Log SIGTERM and keep serving, as a hung vLLM does: only SIGKILL (or SIGINT) ends it, so
   * tests see the supervisor's kill after its grace period. Default false.
   */
  ignoreSigterm?: boolean;
  /**
   * Run an engine core child process that shares stdout and exits this long after the server
   * process is gone (however it ended, SIGKILL included), as vLLM's EngineCore does: the
   * output stays open meanwhile. Default: no engine core.
   */
  engineCoreLingerMs?: number;
};

function writeLine(line: string): void {
  process.stdout.write(`${line}\n`);
}

/**
 * Serves until SIGTERM (unless ignored) or SIGINT (exit 0) or until a failure option makes it
 * exit. SIGUSR1 makes /health answer 503, SIGUSR2 makes it answer 200 again.
 */
export async function runMockVllmServe(serveOptions: MockVllmServeOptions): Promise<void> {
  const { ignoreSigterm = false, engineCoreLingerMs, ...options } = serveOptions;
  const log = createVllmLog(writeLine);
  let mock: MockVllm | undefined;
  // Handlers first: a supervisor may signal as soon as it has seen the start-up lines.
  const shutdown = () => {
    log.info('launcher.py:80', 'Shutting down FastAPI HTTP server.');
    void Promise.resolve(mock?.close()).then(() => process.exit(0));
  };
  if (ignoreSigterm) {
    process.on('SIGTERM', () => log.warning('mock.py:1', '--ignore-sigterm: SIGTERM ignored'));
  } else process.once('SIGTERM', shutdown);
  process.once('SIGINT', shutdown);
  process.on('SIGUSR1', () => mock?.setHealthy(false));
  process.on('SIGUSR2', () => mock?.setHealthy(true));
  try {
    mock = await startMockVllm({ ...options, log: writeLine });
  } catch (error) {
    // The API port's bind or the control port's listen: the error names its address.
    const { address = options.host, port = options.port } = error as {
      address?: string;
      port?: number;
    };
    log.error(
      'launcher.py:1',
      `error while attempting to bind on ${address}:${port}: ${(error as Error).message}`,
    );
    process.exit(1);
  }
  if (engineCoreLingerMs !== undefined) startEngineCore(engineCoreLingerMs, log);
  mock.events.once('exit', (code) => process.exit(code));
}
