import { chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  checkGpuHealth,
  createNvidiaSmiRunner,
  type NvidiaSmiResult,
  type NvidiaSmiRunner,
  readGpuMetrics,
} from '../../../src/observability/index.ts';
import { captureLogs } from '../../support/log-capture.ts';

const FIXTURES = new URL('../../fixtures/nvidia-smi/', import.meta.url);
const fixture = (name: string) => readFile(new URL(name, FIXTURES), 'utf8');

const HEALTH_ARGS = [
  '--query-gpu=gpu_name,memory.total,memory.used,utilization.gpu,ecc.errors.uncorrected.aggregate.total,power.limit,power.default_limit',
  '--format=csv,noheader,nounits',
];

// Rows written here in the recorded format (see test/fixtures/nvidia-smi/README.md).
const H100 = 'NVIDIA H100 80GB HBM3, 81559, 1, 0, 0, 700.00, 700.00';
const RTX_4090 = 'NVIDIA GeForce RTX 4090, 24564, 2, 0, [N/A], 450.00, 450.00';

type Call = { args: string[]; timeoutMs: number };

/** A runner that replays one result and records how it was called. */
function replay(result: NvidiaSmiResult): NvidiaSmiRunner & { calls: Call[] } {
  const calls: Call[] = [];
  const runner = async (args: string[], options: { timeoutMs: number }) => {
    calls.push({ args, timeoutMs: options.timeoutMs });
    return result;
  };
  return Object.assign(runner, { calls });
}

const printing = (stdout: string) => replay({ exitCode: 0, stdout, stderr: '' });

async function check(stdout: string, expected: { name?: string; vramGb?: number } = {}) {
  const logs = captureLogs();
  const health = await checkGpuHealth({
    runner: printing(stdout),
    expectedGpuName: expected.name,
    expectedVramGb: expected.vramGb,
    logger: logs.logger,
  });
  return { health, logs };
}

describe('checkGpuHealth on healthy GPUs', () => {
  it('runs the query of worker.md with a 15 s timeout and passes the recorded H200', async () => {
    const runner = printing(await fixture('h200-health.csv'));
    const logs = captureLogs();
    const health = await checkGpuHealth({
      runner,
      expectedGpuName: 'h200',
      expectedVramGb: 141,
      logger: logs.logger,
    });
    expect(runner.calls).toEqual([{ args: HEALTH_ARGS, timeoutMs: 15_000 }]);
    expect(health).toEqual({
      status: 'ok',
      failures: [],
      gpus: [
        {
          index: 0,
          name: 'NVIDIA H200',
          memoryTotalMib: 143771,
          memoryUsedMib: 0,
          utilizationPct: 0,
          eccUncorrected: 0,
          powerLimitW: 700,
          powerDefaultLimitW: 700,
        },
      ],
    });
    expect(logs.entries().at(-1)).toMatchObject({ level: 30, msg: 'GPU health check passed' });
  });

  it('passes a healthy H100 80GB (79.6 GB is at least 90 % of 80)', async () => {
    const { health } = await check(`${H100}\n`, { name: 'H100', vramGb: 80 });
    expect(health.status).toBe('ok');
  });

  it('passes an RTX 4090 whose ECC count reads N/A', async () => {
    const { health } = await check(`${RTX_4090}\n`, { name: 'rtx 4090', vramGb: 24 });
    expect(health.status).toBe('ok');
    expect(health.gpus[0]).not.toHaveProperty('eccUncorrected');
  });

  it('passes any GPU when no name or memory is expected', async () => {
    const { health } = await check(`${RTX_4090}\n`);
    expect(health.status).toBe('ok');
  });

  it('skips the power rule when a limit reads N/A', async () => {
    const row = 'NVIDIA A10G, 23028, 0, 0, 0, [N/A], 300.00';
    const { health } = await check(row);
    expect(health.status).toBe('ok');
  });

  it('checks every GPU of a multi-GPU host', async () => {
    const { health } = await check(`${H100}\n${H100}\n${H100}\n${H100}\n`, { name: 'H100' });
    expect(health.status).toBe('ok');
    expect(health.gpus.map((gpu) => gpu.index)).toEqual([0, 1, 2, 3]);
  });
});

describe('checkGpuHealth failures', () => {
  it.each([
    [
      'the wrong model',
      H100,
      { name: 'H200' },
      "GPU 0 (NVIDIA H100 80GB HBM3): name does not contain 'H200'",
    ],
    [
      'too little memory',
      RTX_4090,
      { vramGb: 80 },
      'GPU 0 (NVIDIA GeForce RTX 4090): 24.0 GB of memory, below 90% of the expected 80 GB',
    ],
    [
      'memory in use',
      'NVIDIA H100 80GB HBM3, 81559, 500, 0, 0, 700.00, 700.00',
      {},
      'GPU 0 (NVIDIA H100 80GB HBM3): 500 MiB of memory already in use (limit < 500 MiB)',
    ],
    [
      'a busy GPU',
      'NVIDIA H100 80GB HBM3, 81559, 1, 10, 0, 700.00, 700.00',
      {},
      'GPU 0 (NVIDIA H100 80GB HBM3): utilization 10% while idle (limit < 10%)',
    ],
    [
      'uncorrected ECC errors',
      'NVIDIA H100 80GB HBM3, 81559, 1, 0, 3, 700.00, 700.00',
      {},
      'GPU 0 (NVIDIA H100 80GB HBM3): 3 uncorrected ECC errors',
    ],
    [
      'a capped power limit',
      'NVIDIA H100 80GB HBM3, 81559, 1, 0, 0, 489.99, 700.00',
      {},
      'GPU 0 (NVIDIA H100 80GB HBM3): power limit 489.99 W, below 70% of the default 700 W',
    ],
  ])('fails %s', async (_, row, expected, failure) => {
    const { health, logs } = await check(row, expected);
    expect(health.status).toBe('failed');
    expect(health.failures).toEqual([failure]);
    expect(health.message).toBe(`gpu_health_check failed: ${failure}`);
    expect(logs.entries().at(-1)).toMatchObject({ level: 50, msg: health.message });
  });

  it('passes exactly at the limits (90 % VRAM, 499 MiB, 9 %, 70 % power) and fails just below', async () => {
    const row = 'NVIDIA H100 80GB HBM3, 73728, 499, 9, 0, 490.00, 700.00';
    const { health } = await check(row, { vramGb: 80 });
    expect(health.failures).toEqual([]);
    const below = await check('NVIDIA H100 80GB HBM3, 73727, 0, 0, 0, 700.00, 700.00', {
      vramGb: 80,
    });
    expect(below.health.status).toBe('failed');
  });

  it('reports every failure of every GPU, joined by "; "', async () => {
    const bad = 'NVIDIA H100 80GB HBM3, 81559, 2048, 95, 1, 300.00, 700.00';
    const { health } = await check(`${H100}\n${bad}\n`, { name: 'H200' });
    expect(health.failures).toHaveLength(6);
    expect(health.failures[0]).toMatch(/^GPU 0 .*name/);
    expect(health.failures.slice(1).every((line) => line.startsWith('GPU 1 '))).toBe(true);
    expect(health.message).toBe(`gpu_health_check failed: ${health.failures.join('; ')}`);
    expect(health.gpus).toHaveLength(2);
  });

  it('fails a short row and still checks the others', async () => {
    const { health } = await check(`${H100}\nNVIDIA H100 80GB HBM3, 81559, 1\n`);
    expect(health.status).toBe('failed');
    expect(health.failures).toEqual([
      "GPU 1: expected 7 fields, got 3 ('NVIDIA H100 80GB HBM3, 81559, 1')",
    ]);
    expect(health.gpus).toHaveLength(1);
  });

  it('fails an unreadable field but not an N/A one', async () => {
    const { health } = await check('NVIDIA H100 80GB HBM3, 81559, lots, 0, [N/A], 700.00, 700.00');
    expect(health.failures).toEqual(["GPU 0: memory.used is unreadable ('lots')"]);
  });

  it('fails when nvidia-smi lists no GPU', async () => {
    const { health } = await check('\n');
    expect(health.failures).toEqual(['nvidia-smi listed no GPUs']);
  });

  it('fails on a non-zero exit, quoting what nvidia-smi said (recorded bad query)', async () => {
    const recorded = await fixture('h200-invalid-field.txt');
    const [output = '', code = ''] = recorded.split(/\nrc=/);
    const runner = replay({ exitCode: Number(code), stdout: output, stderr: '' });
    const health = await checkGpuHealth({ runner, logger: captureLogs().logger });
    expect(health).toEqual({
      status: 'failed',
      failures: [
        'nvidia-smi exited with code 2: Field "bogus_field" is not a valid field to query.',
      ],
      message:
        'gpu_health_check failed: nvidia-smi exited with code 2: Field "bogus_field" is not a valid field to query.',
      gpus: [],
    });
  });

  it('fails on a timeout', async () => {
    const health = await checkGpuHealth({
      runner: replay({ timedOut: true }),
      logger: captureLogs().logger,
    });
    expect(health.status).toBe('failed');
    expect(health.message).toBe('gpu_health_check failed: nvidia-smi did not answer within 15 s');
  });

  it('fails when the runner itself throws', async () => {
    const runner: NvidiaSmiRunner = async () => {
      throw new Error('EACCES');
    };
    const health = await checkGpuHealth({ runner, logger: captureLogs().logger });
    expect(health.message).toBe('gpu_health_check failed: nvidia-smi could not run: Error: EACCES');
  });
});

describe('checkGpuHealth without nvidia-smi', () => {
  it('is skipped, with a warning', async () => {
    const logs = captureLogs();
    const health = await checkGpuHealth({
      runner: replay({ absent: true }),
      expectedGpuName: 'H100',
      logger: logs.logger,
    });
    expect(health).toMatchObject({ status: 'skipped', failures: [], gpus: [] });
    expect(logs.entries()).toEqual([
      expect.objectContaining({
        level: 40,
        msg: expect.stringContaining('nvidia-smi is not installed'),
      }),
    ]);
  });
});

describe('readGpuMetrics', () => {
  it('reads the recorded H200 metrics with the query of worker.md', async () => {
    const runner = printing(await fixture('h200-metrics.csv'));
    expect(await readGpuMetrics(runner)).toEqual({
      memoryUsedMib: 0,
      memoryTotalMib: 143771,
      utilizationPct: 0,
      temperatureC: 36,
    });
    expect(runner.calls[0]?.args).toEqual([
      '--query-gpu=memory.used,memory.total,utilization.gpu,temperature.gpu',
      '--format=csv,noheader,nounits',
    ]);
  });

  it('reads the first GPU only and leaves N/A fields out', async () => {
    const runner = printing('[N/A], 24564, 37, [N/A]\n40000, 81559, 99, 80\n');
    expect(await readGpuMetrics(runner)).toEqual({ memoryTotalMib: 24564, utilizationPct: 37 });
  });

  it.each<[string, NvidiaSmiResult]>([
    ['absent', { absent: true }],
    ['timed out', { timedOut: true }],
    ['failed', { exitCode: 2, stdout: '', stderr: 'bad' }],
    ['empty', { exitCode: 0, stdout: '', stderr: '' }],
  ])('is empty when nvidia-smi is %s', async (_, result) => {
    expect(await readGpuMetrics(replay(result))).toEqual({});
  });
});

describe('createNvidiaSmiRunner (execa)', () => {
  let dir: string | undefined;
  afterEach(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
    dir = undefined;
  });

  async function script(body: string): Promise<string> {
    dir = await mkdtemp(join(tmpdir(), 'nvidia-smi-'));
    const path = join(dir, 'nvidia-smi');
    await writeFile(path, `#!/bin/sh\n${body}\n`);
    await chmod(path, 0o755);
    return path;
  }

  it('reports a missing binary as absent', async () => {
    const runner = createNvidiaSmiRunner('/nonexistent/nvidia-smi');
    expect(await runner([], { timeoutMs: 5_000 })).toEqual({ absent: true });
  });

  it('passes the arguments without a shell and returns the output and exit code', async () => {
    const path = await script('printf "%s|" "$@"; echo oops >&2; exit 2');
    const result = await createNvidiaSmiRunner(path)(['a b', '$HOME'], { timeoutMs: 5_000 });
    expect(result).toEqual({ exitCode: 2, stdout: 'a b|$HOME|', stderr: 'oops' });
  });

  it('reports a hung binary as timed out', async () => {
    const path = await script('exec sleep 30');
    expect(await createNvidiaSmiRunner(path)([], { timeoutMs: 100 })).toEqual({ timedOut: true });
  });

  it('abandons at its timeout a binary whose output stays open (a wedged driver)', async () => {
    // The shell is killed; the sleep it started keeps stdout open for a minute.
    const path = await script('sleep 60; echo late');
    expect(await createNvidiaSmiRunner(path)([], { timeoutMs: 100 })).toEqual({ timedOut: true });
  });
});
