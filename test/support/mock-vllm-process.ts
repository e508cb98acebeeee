/**
 * The mock vLLM as a real child process (`node src/cli.ts mock-vllm serve ...`) on an API port
 * and a control port found free just before, with its output read line by line.
 */
import { EventEmitter } from 'node:events';
import { fileURLToPath } from 'node:url';
import { execa, type Result } from 'execa';
import { freePort } from './free-port.ts';

const REPO_ROOT = fileURLToPath(new URL('../..', import.meta.url));

export type MockVllmProcess = {
  /** The API port: refuses connections while the mock loads. */
  url: string;
  /** The /mock control routes (`--control-port`), answering from the start. */
  controlUrl: string;
  /** Every stdout line so far. */
  lines: string[];
  /** Resolves with the first line matching `pattern`; rejects if the process exits first. */
  waitForLine(pattern: RegExp): Promise<string>;
  /** Resolves when the process has exited. */
  exited: Promise<Result>;
  /** SIGTERM, then waits for the exit. */
  stop(): Promise<void>;
};

/** How often a port taken between finding and binding it (by any socket) is tried again. */
const BIND_ATTEMPTS = 3;

/** Resolves once the child has bound its ports (its first lines), or retries on a port taken meanwhile. */
export async function spawnMockVllm(args: readonly string[]): Promise<MockVllmProcess> {
  for (let attempt = 1; ; attempt++) {
    const child = spawnOnce(args, await freePort(), await freePort());
    const listening = await child.waitForLine(/non-default args/).then(
      () => true,
      () => false,
    );
    const portTaken = child.lines.some((line) => line.includes('EADDRINUSE'));
    if (listening || !portTaken || attempt === BIND_ATTEMPTS) return child;
  }
}

function spawnOnce(args: readonly string[], port: number, controlPort: number): MockVllmProcess {
  const argv = ['src/cli.ts', 'mock-vllm', 'serve', 'test/model', '--port', String(port)];
  argv.push('--control-port', String(controlPort));
  const child = execa(process.execPath, [...argv, '--served-model-name', 'served-model', ...args], {
    cwd: REPO_ROOT,
    reject: false,
    stdin: 'ignore',
    lines: false,
  });
  const lines: string[] = [];
  const events = new EventEmitter<{ line: [string]; exit: [] }>();
  let pending = '';
  child.stdout.on('data', (chunk: Buffer) => {
    const parts = (pending + chunk.toString('utf8')).split('\n');
    pending = parts.pop() ?? '';
    for (const line of parts) {
      lines.push(line);
      events.emit('line', line);
    }
  });
  const exited = child.then((result) => {
    hasExited = true;
    events.emit('exit');
    return result;
  });
  let hasExited = false;
  const waitForLine = (pattern: RegExp): Promise<string> =>
    new Promise((resolve, reject) => {
      const onLine = (line: string) => {
        if (!pattern.test(line)) return;
        events.off('exit', onExit);
        events.off('line', onLine);
        resolve(line);
      };
      const onExit = () => {
        events.off('line', onLine);
        reject(new Error(`mock-vllm exited before printing ${pattern}:\n${lines.join('\n')}`));
      };
      const seen = lines.find((line) => pattern.test(line));
      if (seen !== undefined) return resolve(seen);
      if (hasExited) return onExit();
      events.on('line', onLine);
      events.once('exit', onExit);
    });
  return {
    url: `http://127.0.0.1:${port}`,
    controlUrl: `http://127.0.0.1:${controlPort}`,
    lines,
    waitForLine,
    exited,
    stop: async () => {
      child.kill('SIGTERM');
      await exited;
    },
  };
}
