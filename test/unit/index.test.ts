/**
 * The SDK entry: what a custom worker imports from `casola-worker` (issue 6: the GPU health
 * check is exported so custom workers can run it).
 */
import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import {
  CONFIG_DEFAULTS,
  checkGpuHealth,
  createNvidiaSmiRunner,
  DEFAULTS,
  execaNvidiaSmi,
  type NvidiaSmiRunner,
} from '../../src/index.ts';
import { captureLogs } from '../support/log-capture.ts';

const H200_ROW = await readFile(
  new URL('../fixtures/nvidia-smi/h200-health.csv', import.meta.url),
  'utf8',
);

const recorded: NvidiaSmiRunner = async () => ({ exitCode: 0, stdout: H200_ROW, stderr: '' });

describe('the SDK entry', () => {
  it('exports the GPU health check: the recorded H200 passes as an H200 and fails as an H100', async () => {
    const { logger } = captureLogs();
    const asH200 = await checkGpuHealth({ runner: recorded, expectedGpuName: 'H200', logger });
    expect(asH200).toMatchObject({ status: 'ok', gpus: [{ name: 'NVIDIA H200' }] });
    const asH100 = await checkGpuHealth({ runner: recorded, expectedGpuName: 'H100', logger });
    expect(asH100.status).toBe('failed');
    expect(asH100.message).toBe(
      "gpu_health_check failed: GPU 0 (NVIDIA H200): name does not contain 'H100'",
    );
  });

  it('exports the nvidia-smi runners: a missing nvidia-smi skips the check', async () => {
    expect(typeof execaNvidiaSmi).toBe('function');
    const logs = captureLogs();
    const runner = createNvidiaSmiRunner('/nonexistent/bin/nvidia-smi');
    const health = await checkGpuHealth({ runner, logger: logs.logger });
    expect(health).toMatchObject({ status: 'skipped', failures: [] });
    expect(logs.entries()).toContainEqual(
      expect.objectContaining({
        level: 40,
        msg: 'nvidia-smi is not installed: GPU health check skipped',
      }),
    );
  });

  it('exports the defaults that the options name (capacity, frame size), read-only', () => {
    expect(DEFAULTS.capacity).toBe(1);
    expect(CONFIG_DEFAULTS.maxFrameBytes).toBe(64 * 1024 * 1024);
    // Read-only for the worker's users too: a library that imports them cannot change them.
    expect(Object.isFrozen(DEFAULTS) && Object.isFrozen(CONFIG_DEFAULTS)).toBe(true);
  });
});
