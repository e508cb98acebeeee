/**
 * `casola-worker run` as a real child process (`node src/cli.ts run`) with an explicit
 * environment (nothing inherited): its stdout and stderr collected line by line, lines
 * awaited, signals sent, the exit code awaited. A worker still running when the test ends is
 * stopped (SIGTERM, then SIGKILL), and so is a vLLM it left behind.
 *
 * ```ts
 * const worker = startWorkerProcess({ CASOLA_WS_URL: ..., VLLM_MODEL: ... });
 * await worker.waitForLine(/vLLM is ready/);
 * worker.signal('SIGTERM');
 * expect(await worker.exitCode).toBe(0);
 * ```
 */
import { EventEmitter } from 'node:events';
import { existsSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { mockServeCommand } from '../../src/tools/mock-vllm/serve-command.ts';

export const CLI = fileURLToPath(new URL('../../src/cli.ts', import.meta.url));

export { shellQuote } from '../../src/tools/mock-vllm/serve-command.ts';

/** `'<node>' '<src/cli.ts>' mock-vllm`: VLLM_SERVE_COMMAND for the mock vLLM. */
export const MOCK_VLLM_COMMAND = mockServeCommand();

/** This process's PATH without any directory that holds an `nvidia-smi`. */
export function pathWithoutNvidiaSmi(): string {
  return (process.env.PATH ?? '')
    .split(delimiter)
    .filter((dir) => dir !== '' && !existsSync(join(dir, 'nvidia-smi')))
    .join(delimiter);
}

/** How long `waitForLine` waits by default, in ms: start-up polls /health every 2 s. */
const DEFAULT_WAIT_MS = 15_000;
/** How long `stop` waits after SIGTERM before SIGKILL, in ms. */
const STOP_GRACE_MS = 10_000;

export type WorkerProcess = {
  readonly pid: number;
  /** Every stdout line so far (the worker's and vLLM's JSON log lines). */
  readonly stdout: readonly string[];
  /** Every stderr line so far. */
  readonly stderr: readonly string[];
  /** The stdout lines that are JSON objects (pino entries), parsed. */
  entries(): Array<Record<string, unknown>>;
  /**
   * The first line, past or future, of stdout or stderr matching `pattern`. Rejects when the
   * process exits first, or after `timeoutMs` (default 15 000 ms), with the output so far.
   */
  waitForLine(pattern: RegExp, timeoutMs?: number): Promise<string>;
  /** Every line matching `pattern`, once there are at least `count` of them; rejects likewise. */
  waitForLines(pattern: RegExp, count: number, timeoutMs?: number): Promise<string[]>;
  /** With `ownProcessGroup`: sends `signal` to the worker's whole process group, as Ctrl-C does. */
  signalGroup(signal: NodeJS.Signals): void;
  /** The pid vLLM (the mock) reports at start-up ("Started server process [PID]"). */
  vllmPid(): Promise<number>;
  signal(signal: NodeJS.Signals): void;
  /** Resolves with the exit code once the process has exited. */
  readonly exitCode: Promise<number>;
  /** SIGTERM, SIGKILL if it lingers, and SIGKILL to a vLLM left running. */
  stop(): Promise<void>;
};

export function startWorkerProcess(
  env: Record<string, string>,
  options: { ownProcessGroup?: boolean; underShell?: boolean } = {},
): WorkerProcess {
  // `; exit $?` keeps the shell from exec-ing the worker: it stays the worker's parent.
  const [file, args] = options.underShell
    ? ['sh', ['-c', '"$0" "$@"; exit $?', process.execPath, CLI, 'run']]
    : [process.execPath, [CLI, 'run']];
  const child = execa(file, args, {
    env,
    extendEnv: false,
    reject: false,
    stdin: 'ignore',
    buffer: false,
    detached: options.ownProcessGroup ?? false,
  });
  const stdout: string[] = [];
  const stderr: string[] = [];
  const events = new EventEmitter<{ line: [string]; exit: [] }>();
  collectLines(child.stdout, stdout, events);
  collectLines(child.stderr, stderr, events);
  let exited = false;
  const exitCode = child.then((result) => {
    exited = true;
    events.emit('exit');
    return result.exitCode ?? -1;
  });
  const output = () => [...stdout, ...stderr].slice(-40).join('\n');

  const waitForLines = (pattern: RegExp, count: number, timeoutMs = DEFAULT_WAIT_MS) =>
    new Promise<string[]>((resolve, reject) => {
      const found = () => [...stdout, ...stderr].filter((line) => pattern.test(line));
      const stopWaiting = () => {
        clearTimeout(timer);
        events.off('line', onLine);
        events.off('exit', onExit);
      };
      const onLine = () => {
        const lines = found();
        if (lines.length < count) return;
        stopWaiting();
        resolve(lines);
      };
      const fail = (why: string) => {
        stopWaiting();
        reject(new Error(`${why}: ${count} × ${pattern}\n${output()}`));
      };
      const onExit = () => fail('the worker exited first');
      const timer = setTimeout(() => fail(`not within ${timeoutMs} ms`), timeoutMs);
      events.on('line', onLine);
      events.on('exit', onExit);
      onLine();
      if (exited) onExit();
    });
  const waitForLine = async (pattern: RegExp, timeoutMs?: number) =>
    (await waitForLines(pattern, 1, timeoutMs))[0] as string;

  const vllmPid = async () =>
    Number(
      /Started server process \[(\d+)\]/.exec(await waitForLine(/Started server process/))?.[1],
    );

  return {
    pid: child.pid ?? 0,
    stdout,
    stderr,
    entries: () => stdout.flatMap(parseEntry),
    waitForLine,
    waitForLines,
    vllmPid,
    signal: (signal) => {
      if (!exited) child.kill(signal);
    },
    signalGroup: (signal) => {
      if (!exited && child.pid !== undefined) process.kill(-child.pid, signal);
    },
    exitCode,
    async stop() {
      if (!exited) {
        child.kill('SIGTERM');
        const killer = setTimeout(() => child.kill('SIGKILL'), STOP_GRACE_MS);
        await exitCode;
        clearTimeout(killer);
      }
      const pid = /Started server process \[(\d+)\]/.exec(stdout.join('\n'))?.[1];
      if (pid !== undefined && isAlive(Number(pid))) process.kill(Number(pid), 'SIGKILL');
    },
  };
}

/** Whether a process with this pid exists (signal 0 checks without sending anything). */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function collectLines(
  stream: NodeJS.ReadableStream | null,
  lines: string[],
  events: EventEmitter<{ line: [string]; exit: [] }>,
): void {
  let partial = '';
  stream?.setEncoding('utf8');
  stream?.on('data', (chunk: string) => {
    const parts = (partial + chunk).split('\n');
    partial = parts.pop() ?? '';
    for (const line of parts) {
      lines.push(line);
      events.emit('line', line);
    }
  });
  stream?.on('end', () => {
    if (partial === '') return;
    lines.push(partial);
    events.emit('line', partial);
  });
}

function parseEntry(line: string): Array<Record<string, unknown>> {
  try {
    const value: unknown = JSON.parse(line);
    return typeof value === 'object' && value !== null ? [value as Record<string, unknown>] : [];
  } catch {
    return [];
  }
}
