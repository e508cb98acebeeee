/**
 * docker/entrypoint.sh on this machine, supervising the stub worker of test/image/: signals are
 * forwarded, the worker's shutdown runs to its end, and its exit code comes out. The image check
 * (test/image/check.sh) runs a larger set of these inside the built image.
 */
import { copyFile, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa, type ResultPromise } from 'execa';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

const root = join(import.meta.dirname, '../../..');
const entrypoint = join(root, 'docker/entrypoint.sh');
const stubWorker = join(root, 'test/image/stub-worker.ts');

type Entrypoint = ResultPromise<{ reject: false; forceKillAfterDelay: false; all: true }>;

let dir: string;
let running: Entrypoint[] = [];

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'entrypoint-test-'));
  // The fake nvidia-smi first on PATH keeps the diagnostics the same on every machine.
  await mkdir(join(dir, 'bin'));
  await copyFile(join(root, 'test/image/fake-nvidia-smi.sh'), join(dir, 'bin/nvidia-smi'));
  await mkdir(join(dir, 'markers'));
});

afterEach(async () => {
  for (const subprocess of running) {
    subprocess.kill('SIGKILL');
    await subprocess;
  }
  running = [];
  await rm(dir, { recursive: true, force: true });
});

function start(command: string[]): Entrypoint {
  const subprocess = execa('bash', [entrypoint, ...command], {
    reject: false,
    forceKillAfterDelay: false,
    all: true,
    env: { PATH: `${join(dir, 'bin')}:${process.env.PATH}` },
  });
  running.push(subprocess);
  return subprocess;
}

function startStub(...args: string[]): Entrypoint {
  const markers = ['--markers', join(dir, 'markers')];
  return start([process.execPath, stubWorker, ...markers, ...args]);
}

function printed(subprocess: Entrypoint, text: string): Promise<void> {
  return new Promise((resolve, reject) => {
    let seen = '';
    subprocess.stdout.on('data', (chunk: Buffer) => {
      seen += chunk.toString();
      if (seen.includes(text)) resolve();
    });
    subprocess.stdout.once('end', () =>
      reject(new Error(`ended before printing "${text}":\n${seen}`)),
    );
  });
}

async function finished(subprocess: Entrypoint) {
  running = running.filter((other) => other !== subprocess);
  return await subprocess;
}

const marker = (name: string) => readFile(join(dir, 'markers', name), 'utf8');

describe('docker/entrypoint.sh', () => {
  it('forwards SIGTERM, waits for the whole shutdown and exits with the worker code', async () => {
    const subprocess = startStub('--exit-code', '3', '--shutdown-ms', '1500');
    await printed(subprocess, 'stub-worker: started');
    subprocess.kill('SIGTERM');
    const result = await finished(subprocess);
    expect(result.exitCode).toBe(3);
    expect(await marker('signals')).toBe('SIGTERM\n');
    expect(await marker('finished')).toBe('complete\n');
    expect(result.all).toContain('entrypoint: worker exited with code 3');
  });

  it('forwards SIGINT, and a second signal too', async () => {
    const subprocess = startStub('--exit-code', '0');
    await printed(subprocess, 'stub-worker: started');
    subprocess.kill('SIGINT');
    await printed(subprocess, 'stub-worker: SIGINT');
    subprocess.kill('SIGTERM');
    const result = await finished(subprocess);
    expect(result.exitCode).toBe(0);
    expect(await marker('signals')).toBe('SIGINT\nSIGTERM\n');
    expect(await marker('finished')).toBe('cut short\n');
  });

  it('exits with the worker code when the worker stops on its own', async () => {
    const result = await finished(startStub('--exit-code', '5', '--exit-after-ms', '100'));
    expect(result.exitCode).toBe(5);
  });

  it('runs `casola-worker run` when given no command', async () => {
    await writeFile(join(dir, 'bin/casola-worker'), '#!/bin/sh\necho "worker args: $*"\n', {
      mode: 0o755,
    });
    const result = await finished(start([]));
    expect(result.exitCode).toBe(0);
    expect(result.all).toContain('worker args: run');
  });

  it('prints the GPU, the driver and the CUDA version nvidia-smi reports', async () => {
    const result = await finished(start(['true']));
    expect(result.exitCode).toBe(0);
    expect(result.all).toContain('entrypoint:   0, NVIDIA H200, 580.159.04, 143771 MiB');
    expect(result.all).toContain('entrypoint: driver supports CUDA Version: 13.0');
  });

  it('still starts the worker when nvidia-smi fails', async () => {
    await writeFile(
      join(dir, 'bin/nvidia-smi'),
      '#!/bin/sh\necho "NVML: driver gone" >&2\nexit 9\n',
    );
    const result = await finished(start(['true']));
    expect(result.exitCode).toBe(0);
    expect(result.all).toContain('nvidia-smi failed (exit 9)');
  });
});
