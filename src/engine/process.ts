/**
 * The `vllm` actor of the engine machine: the vLLM server as a child process (execa, no shell).
 * stdout and stderr are merged and read line by line; every line is logged with source `vllm`
 * and classified. TERMINATE sends SIGTERM, KILL sends SIGKILL to vLLM's process group; the exit
 * is always reported.
 */
import { execa, type Result } from 'execa';
import { onExit } from 'signal-exit';
import { fromCallback } from 'xstate';
import type { EngineEvent, ProcessCommand } from '../../machines/engine.machine.ts';
import type { Logger } from '../observability/logger.ts';
import { redactArgs } from '../observability/redact.ts';
import { classifyLine, isRequestLog, lineLevel } from './classify.ts';
import { type ServeSettings, serveCommandLine } from './command.ts';

export type ProcessOptions = {
  settings: ServeSettings;
  /** The worker's own lines about the process. */
  logger: Logger;
  /** vLLM's output, line by line (source `vllm`). */
  vllmLogger: Logger;
};

type Exit = Extract<EngineEvent, { type: 'PROCESS_EXITED' }>;

/** How much of vLLM's last error line an exit carries into the failure message. */
const LAST_ERROR_CHARS = 500;

export function createProcessActor({ settings, logger, vllmLogger }: ProcessOptions) {
  return fromCallback<ProcessCommand>(({ sendBack, receive }) => {
    let exit: Exit | undefined;
    const report = (event: EngineEvent) => sendBack(event);
    const commandLine = buildCommandLine(settings);
    if ('error' in commandLine) {
      // Nothing was started: the engine hears an exit, never a thrown error.
      const notStarted: Exit = {
        type: 'PROCESS_EXITED',
        exitCode: null,
        signal: null,
        ...commandLine,
      };
      report(notStarted);
      receive(() => report(notStarted));
      return;
    }
    const { file, args } = commandLine;
    logger.info({ command: redactArgs([file, ...args]) }, 'starting vLLM');
    // vLLM leads a process group of its own: a Ctrl-C in a terminal, or a signal to the
    // worker's group, reaches the worker alone, which drains and then stops vLLM, instead of
    // vLLM dying under running jobs. The group is killed with SIGKILL when the worker exits,
    // also on a signal it does not handle (SIGHUP from a closed terminal, SIGQUIT, SIGABRT):
    // signal-exit, as execa's own `cleanup` does, which does not apply to a detached child.
    const child = execa(file, args, {
      all: true,
      reject: false,
      stdin: 'ignore',
      buffer: false,
      forceKillAfterDelay: false,
      detached: true,
    });
    const killGroup = () => {
      if (child.pid === undefined) return;
      try {
        process.kill(-child.pid, 'SIGKILL');
      } catch {
        // Already gone.
      }
    };
    const forgetExit = onExit(killGroup);
    child.nodeChildProcess.once('spawn', () =>
      report({ type: 'PROCESS_SPAWNED', pid: child.pid ?? 0 }),
    );
    child.all?.setEncoding('utf8');
    let lastErrorLine: string | undefined;
    readLines(child.all, (line, continued) => {
      const level = lineLevel(line);
      vllmLogger[level](line);
      if (level === 'error' && !continued && !isRequestLog(line)) {
        lastErrorLine = line.slice(0, LAST_ERROR_CHARS);
      }
      // The rest of a cut line is classified with its start: a long request-log line (a
      // prompt) must not be read as a failure from its middle.
      const match = continued ? undefined : classifyLine(line);
      if (match) report({ type: 'PROCESS_LINE_CLASSIFIED', ...match, line });
    });
    child.then((result) => {
      forgetExit();
      exit = { ...exitEvent(file, result), ...(lastErrorLine ? { lastErrorLine } : {}) };
      logger.info(
        { exit_code: exit.exitCode, signal: exit.signal, error: exit.error },
        'vLLM exited',
      );
      report(exit);
    });
    receive((command) => {
      if (exit !== undefined) report(exit);
      // SIGTERM to vLLM, which stops its own workers; SIGKILL to all of them at once.
      else if (command.type === 'KILL') killGroup();
      else if (command.type === 'TERMINATE') child.kill('SIGTERM');
    });
    return () => {
      if (exit === undefined) killGroup();
    };
  });
}

/** How the process ended; `error` when it never ran (not found, not executable). */
function exitEvent(file: string, result: Result): Exit {
  const spawnError =
    result.code === 'ENOENT'
      ? `'${file}' was not found; set VLLM_SERVE_COMMAND to the vLLM executable`
      : result.failed && result.exitCode === undefined && !result.signal
        ? `'${file}' could not run (${result.originalMessage ?? result.code}); check VLLM_SERVE_COMMAND`
        : undefined;
  return {
    type: 'PROCESS_EXITED',
    exitCode: result.exitCode ?? null,
    signal: result.signal ?? null,
    ...(spawnError ? { error: spawnError } : {}),
  };
}

/** The argument array, or why VLLM_SERVE_COMMAND cannot give one. */
function buildCommandLine(
  settings: ServeSettings,
): { file: string; args: string[] } | { error: string } {
  try {
    return serveCommandLine(settings);
  } catch (error) {
    return { error: (error as Error).message };
  }
}

/** A line longer than this is cut into pieces rather than held without bound. */
const MAX_LINE_CHARS = 64 * 1024;

/**
 * Calls `onLine` for every complete line (and the last partial one at the end). Carriage
 * returns end lines too: progress bars redraw with them. `continued` is true for the pieces
 * after the first of a line cut at MAX_LINE_CHARS.
 */
export function readLines(
  stream: NodeJS.ReadableStream | undefined,
  onLine: (line: string, continued: boolean) => void,
): void {
  if (stream === undefined) return;
  let partial = '';
  /** Whether `partial` continues a line whose start already went out. */
  let cut = false;
  stream.on('data', (chunk: string) => {
    const lines = (partial + chunk).split(/\r\n|\r|\n/);
    partial = lines.pop() ?? '';
    for (const [i, line] of lines.entries()) if (line.length > 0) onLine(line, i === 0 && cut);
    if (lines.length > 0) cut = false;
    while (partial.length > MAX_LINE_CHARS) {
      onLine(partial.slice(0, MAX_LINE_CHARS), cut);
      partial = partial.slice(MAX_LINE_CHARS);
      cut = true;
    }
  });
  stream.on('end', () => {
    if (partial.length > 0) onLine(partial, cut);
  });
}
