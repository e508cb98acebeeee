/**
 * The start-up GPU health check of worker.md: every GPU must be the expected model with the
 * expected memory, idle (no memory used by someone else, no load), free of uncorrected ECC
 * errors and not power-capped. A host that fails is a bad host: the worker reports `fatal`.
 */
import type { Logger } from './logger.ts';
import { csvRows, type NvidiaSmiResult, type NvidiaSmiRunner, numericField } from './nvidia-smi.ts';

export const HEALTH_QUERY = [
  '--query-gpu=gpu_name,memory.total,memory.used,utilization.gpu,ecc.errors.uncorrected.aggregate.total,power.limit,power.default_limit',
  '--format=csv,noheader,nounits',
];

/** How long nvidia-smi may take (ms) before the check fails. */
export const HEALTH_TIMEOUT_MS = 15_000;
/** A GPU must have at least this share of the expected VRAM. */
const MIN_VRAM_SHARE = 0.9;
/** Memory in use on an idle GPU must stay below this (MiB). */
const MAX_IDLE_MEMORY_MIB = 500;
/** Utilization of an idle GPU must stay below this (percent). */
const MAX_IDLE_UTILIZATION_PCT = 10;
/** The power limit must be at least this share of the default limit. */
const MIN_POWER_SHARE = 0.7;

/** One GPU as nvidia-smi reported it; a field it printed as N/A is left out. */
export type GpuRow = {
  /** Position in nvidia-smi's output, from 0. */
  index: number;
  name: string;
  memoryTotalMib?: number;
  memoryUsedMib?: number;
  utilizationPct?: number;
  eccUncorrected?: number;
  powerLimitW?: number;
  powerDefaultLimitW?: number;
};

export type GpuHealth = {
  /** `skipped`: no nvidia-smi on this host (not a GPU host, or a test machine). */
  status: 'ok' | 'skipped' | 'failed';
  /** Every failed rule, one line each. Empty unless `failed`. */
  failures: string[];
  /** `gpu_health_check failed: ...` when failed, the reason when skipped. */
  message?: string;
  /** The GPUs that could be read. */
  gpus: GpuRow[];
};

export type GpuHealthOptions = {
  runner: NvidiaSmiRunner;
  /** Every GPU's name must contain this (case-insensitive). Default: any name. */
  expectedGpuName?: string | undefined;
  /** Every GPU needs 90 % of this many GB (MiB / 1024). Default: any size. */
  expectedVramGb?: number | undefined;
  logger: Logger;
};

export async function checkGpuHealth(options: GpuHealthOptions): Promise<GpuHealth> {
  const { logger } = options;
  let result: NvidiaSmiResult;
  try {
    result = await options.runner(HEALTH_QUERY, { timeoutMs: HEALTH_TIMEOUT_MS });
  } catch (error) {
    return failed([`nvidia-smi could not run: ${String(error)}`], [], logger);
  }
  if ('absent' in result) {
    const message = 'nvidia-smi is not installed: GPU health check skipped';
    logger.warn(message);
    return { status: 'skipped', failures: [], message, gpus: [] };
  }
  if ('timedOut' in result) {
    return failed([`nvidia-smi did not answer within ${HEALTH_TIMEOUT_MS / 1000} s`], [], logger);
  }
  if (result.exitCode !== 0) {
    const output = `${result.stderr} ${result.stdout}`.trim().replace(/\s+/g, ' ');
    return failed([`nvidia-smi exited with code ${result.exitCode}: ${output}`], [], logger);
  }
  const gpus: GpuRow[] = [];
  const failures: string[] = [];
  const rows = csvRows(result.stdout);
  if (rows.length === 0) failures.push('nvidia-smi listed no GPUs');
  rows.forEach((fields, index) => {
    const row = readRow(index, fields, failures);
    if (row === undefined) return;
    gpus.push(row);
    failures.push(...checkRow(row, options));
  });
  if (failures.length > 0) return failed(failures, gpus, logger);
  logger.info({ gpus }, 'GPU health check passed');
  return { status: 'ok', failures: [], gpus };
}

function failed(failures: string[], gpus: GpuRow[], logger: Logger): GpuHealth {
  const message = `gpu_health_check failed: ${failures.join('; ')}`;
  logger.error({ failures, gpus }, message);
  return { status: 'failed', failures, message, gpus };
}

const NUMERIC_FIELDS = [
  ['memoryTotalMib', 'memory.total'],
  ['memoryUsedMib', 'memory.used'],
  ['utilizationPct', 'utilization.gpu'],
  ['eccUncorrected', 'ecc.errors.uncorrected.aggregate.total'],
  ['powerLimitW', 'power.limit'],
  ['powerDefaultLimitW', 'power.default_limit'],
] as const;

const HEALTH_FIELD_COUNT = 1 + NUMERIC_FIELDS.length;

/** A row of the 7 queried fields, or undefined (and a failure) when it cannot be read. */
function readRow(index: number, fields: string[], failures: string[]): GpuRow | undefined {
  if (fields.length !== HEALTH_FIELD_COUNT) {
    failures.push(
      `GPU ${index}: expected ${HEALTH_FIELD_COUNT} fields, got ${fields.length} ('${fields.join(', ')}')`,
    );
    return undefined;
  }
  const row: GpuRow = { index, name: fields[0]! };
  let readable = true;
  NUMERIC_FIELDS.forEach(([key, field], offset) => {
    const raw = fields[offset + 1]!;
    const value = numericField(raw);
    if (Number.isNaN(value)) {
      failures.push(`GPU ${index}: ${field} is unreadable ('${raw}')`);
      readable = false;
    } else if (value !== undefined) row[key] = value;
  });
  return readable ? row : undefined;
}

/** Every rule the row breaks. A rule whose reading is N/A is skipped. */
function checkRow(row: GpuRow, expected: GpuHealthOptions): string[] {
  const failures: string[] = [];
  const gpu = `GPU ${row.index} (${row.name})`;
  const wantedName = expected.expectedGpuName;
  if (wantedName && !row.name.toLowerCase().includes(wantedName.toLowerCase())) {
    failures.push(`${gpu}: name does not contain '${wantedName}'`);
  }
  const wantedGb = expected.expectedVramGb;
  if (wantedGb !== undefined && row.memoryTotalMib !== undefined) {
    const totalGb = row.memoryTotalMib / 1024;
    if (totalGb < MIN_VRAM_SHARE * wantedGb) {
      failures.push(
        `${gpu}: ${totalGb.toFixed(1)} GB of memory, below 90% of the expected ${wantedGb} GB`,
      );
    }
  }
  if (row.memoryUsedMib !== undefined && row.memoryUsedMib >= MAX_IDLE_MEMORY_MIB) {
    failures.push(`${gpu}: ${row.memoryUsedMib} MiB of memory already in use (limit < 500 MiB)`);
  }
  if (row.utilizationPct !== undefined && row.utilizationPct >= MAX_IDLE_UTILIZATION_PCT) {
    failures.push(`${gpu}: utilization ${row.utilizationPct}% while idle (limit < 10%)`);
  }
  if (row.eccUncorrected !== undefined && row.eccUncorrected !== 0) {
    failures.push(`${gpu}: ${row.eccUncorrected} uncorrected ECC errors`);
  }
  const { powerLimitW: limit, powerDefaultLimitW: defaultLimit } = row;
  if (limit !== undefined && defaultLimit !== undefined && limit < MIN_POWER_SHARE * defaultLimit) {
    failures.push(`${gpu}: power limit ${limit} W, below 70% of the default ${defaultLimit} W`);
  }
  return failures;
}
