/**
 * nvidia-smi behind a narrow, injectable runner, and the CSV it prints with
 * `--format=csv,noheader,nounits`: one line per GPU, fields separated by `, `, unavailable
 * fields printed as `[N/A]` (or `[Not Supported]`). Tests replay recorded output through a
 * fake runner; the worker uses `execaNvidiaSmi`.
 */
import { execa } from 'execa';

/** What running nvidia-smi can come to. Never a thrown error. */
export type NvidiaSmiResult =
  | { exitCode: number; stdout: string; stderr: string }
  | { absent: true }
  | { timedOut: true };

export type NvidiaSmiRunner = (
  args: string[],
  options: {
    /** Kill nvidia-smi after this many milliseconds. */
    timeoutMs: number;
  },
) => Promise<NvidiaSmiResult>;

/**
 * A runner that executes `binary` with execa (no shell). A missing binary reads as absent.
 *
 * At its timeout nvidia-smi is killed and abandoned: execa's own timeout kills it and then
 * waits for its output to close, which a wedged driver (a process in D state, or a child that
 * holds the pipe) never does, and start-up or shutdown would wait with it. While an abandoned
 * one has not exited, the next call answers `timedOut` at once rather than leave another behind.
 * @param binary the executable. Default `nvidia-smi`, found on PATH.
 */
export function createNvidiaSmiRunner(binary = 'nvidia-smi'): NvidiaSmiRunner {
  let abandoned = false;
  return async (args, options) => {
    if (abandoned) return { timedOut: true };
    const child = execa(binary, args, { reject: false, stdin: 'ignore' });
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<'timedOut'>((resolve) => {
      timer = setTimeout(() => resolve('timedOut'), options.timeoutMs);
    });
    const result = await Promise.race([child, timedOut]);
    clearTimeout(timer);
    if (result === 'timedOut') {
      child.kill('SIGKILL');
      child.stdout?.destroy();
      child.stderr?.destroy();
      child.catch(() => undefined);
      const process = child.nodeChildProcess;
      if (process.exitCode === null && process.signalCode === null) {
        abandoned = true;
        process.once('exit', () => {
          abandoned = false;
        });
      }
      return { timedOut: true };
    }
    if (result.code === 'ENOENT') return { absent: true };
    return {
      exitCode: result.exitCode ?? -1,
      stdout: String(result.stdout),
      stderr: String(result.stderr),
    };
  };
}

/** The worker's runner: `nvidia-smi` from PATH. */
export const execaNvidiaSmi: NvidiaSmiRunner = createNvidiaSmiRunner();

/** The data lines of CSV output, each split into trimmed fields. Blank lines are skipped. */
export function csvRows(stdout: string): string[][] {
  return stdout
    .split(/\r?\n/)
    .filter((line) => line.trim() !== '')
    .map((line) => line.split(',').map((field) => field.trim()));
}

/** A numeric field: a number, `undefined` when nvidia-smi says N/A, or `NaN` when unreadable. */
export function numericField(field: string): number | undefined {
  if (/^\[?(N\/A|Not Supported)\]?$/i.test(field)) return undefined;
  return /^[+-]?\d+(\.\d+)?$/.test(field) ? Number(field) : Number.NaN;
}

const METRICS_QUERY = [
  '--query-gpu=memory.used,memory.total,utilization.gpu,temperature.gpu',
  '--format=csv,noheader,nounits',
];

/** How long the metrics query may take (ms): well inside the 30 s metrics interval. */
const METRICS_TIMEOUT_MS = 10_000;

/** Readings of the first GPU; a field nvidia-smi could not read is left out. */
export type GpuMetrics = {
  memoryUsedMib?: number;
  memoryTotalMib?: number;
  utilizationPct?: number;
  temperatureC?: number;
};

/** The first GPU's memory, utilization and temperature; `{}` when nvidia-smi fails. Never throws. */
export async function readGpuMetrics(runner: NvidiaSmiRunner): Promise<GpuMetrics> {
  let result: NvidiaSmiResult;
  try {
    result = await runner(METRICS_QUERY, { timeoutMs: METRICS_TIMEOUT_MS });
  } catch {
    return {};
  }
  if (!('exitCode' in result) || result.exitCode !== 0) return {};
  const [first] = csvRows(result.stdout);
  if (first === undefined) return {};
  const names = ['memoryUsedMib', 'memoryTotalMib', 'utilizationPct', 'temperatureC'] as const;
  const metrics: GpuMetrics = {};
  names.forEach((name, index) => {
    const value = numericField(first[index] ?? '');
    if (value !== undefined && Number.isFinite(value)) metrics[name] = value;
  });
  return metrics;
}
