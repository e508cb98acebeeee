/**
 * vLLM runs its engine in a child process (`EngineCore_0`) that shares the server's stdout and
 * dies only once it notices the server is gone. Until then the pipe stays open: a supervisor
 * that waits for the output to end before it calls vLLM exited waits for the engine core too,
 * even after SIGKILL. The mock's `--engine-core-linger-ms` reproduces that with a core that
 * even a SIGKILL to vLLM's whole process group does not end in time: it runs in a group of its
 * own, as a process in another session would, and it lingers as one stuck in the GPU driver
 * (uninterruptible, where SIGKILL waits) would.
 */
import { execa } from 'execa';
import type { VllmLog } from './vllm-log.ts';

/**
 * The core notices the server is gone when its stdin (a pipe from the server) closes, however
 * the server ended; then it lingers. Plain JavaScript: it runs with `node -e`.
 */
const CORE_SCRIPT = `
const lingerMs = Number(process.argv[1]);
process.stdin.on('end', () => setTimeout(() => process.exit(0), lingerMs));
process.stdin.resume();
`;

/**
 * Starts the engine core: a child with the server's stdout and stderr that exits `lingerMs`
 * after the server process is gone. Its pid is in the line it logs.
 */
export function startEngineCore(lingerMs: number, log: VllmLog): void {
  const core = execa(process.execPath, ['-e', CORE_SCRIPT, String(lingerMs)], {
    stdio: ['pipe', 'inherit', 'inherit'],
    // It must outlive the server and its group: no cleanup on the server's exit, and a
    // process group of its own.
    cleanup: false,
    detached: true,
    reject: false,
  });
  log.info(
    'core.py:1',
    `EngineCore_0 pid ${core.pid} (exits ${lingerMs} ms after the API server is gone)`,
  );
}
