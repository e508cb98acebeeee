/**
 * `casola-worker mock-vllm serve`: the mock as a process, so the worker's real engine code
 * (spawn, line reading, health polling, exit handling) runs against it without a GPU.
 */
import { type MockVllm, type MockVllmOptions, startMockVllm } from './server.ts';
import { createVllmLog } from './vllm-log.ts';

export type MockVllmServeOptions = MockVllmOptions & {
  /**
   * Log SIGTERM and keep serving, as a hung vLLM does: only SIGKILL (or SIGINT) ends it, so
   * tests see the supervisor's kill after its grace period. Default false.
   */
  ignoreSigterm?: boolean;
};

function writeLine(line: string): void {
  process.stdout.write(`${line}\n`);
}

/**
 * Serves until SIGTERM (unless ignored) or SIGINT (exit 0) or until a failure option makes it
 * exit. SIGUSR1 makes /health answer 503, SIGUSR2 makes it answer 200 again.
 */
export async function runMockVllmServe(serveOptions: MockVllmServeOptions): Promise<void> {
  const { ignoreSigterm = false, ...options } = serveOptions;
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
    const where = `${options.host}:${options.port}`;
    log.error(
      'launcher.py:1',
      `error while attempting to bind on ${where}: ${(error as Error).message}`,
    );
    process.exit(1);
  }
  mock.events.once('exit', (code) => process.exit(code));
}
