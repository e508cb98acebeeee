import { chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import {
  collectSnapshot,
  createMetricsReporter,
  createNvidiaSmiRunner,
  type MetricsReporterOptions,
  type MetricsSnapshot,
  type NvidiaSmiResult,
  type NvidiaSmiRunner,
} from '../../../src/observability/index.ts';
import { startHttpSink } from '../../support/http-sink.ts';
import { useTelemetryHarness } from '../../support/telemetry-harness.ts';

const TOKEN = 'tok-SECRET-metrics-0123456789';
const PATH = '/metrics-ingest';

const PROMETHEUS = `# TYPE vllm:num_requests_running gauge
vllm:num_requests_running{engine="0",model_name="default"} 2.0
# TYPE vllm:num_requests_waiting gauge
vllm:num_requests_waiting{engine="0",model_name="default"} 3.0
vllm:num_requests_waiting{engine="1",model_name="default"} 1.0
`;

const env = useTelemetryHarness(TOKEN);

let scripts: string | undefined;
let hungNvidiaSmi = '';
beforeAll(async () => {
  scripts = await mkdtemp(join(tmpdir(), 'nvidia-smi-hung-'));
  hungNvidiaSmi = join(scripts, 'nvidia-smi');
  // The shell dies at the kill; its sleep keeps stdout open, as a wedged driver keeps the process.
  await writeFile(hungNvidiaSmi, '#!/bin/sh\nsleep 60\n');
  await chmod(hungNvidiaSmi, 0o755);
});
afterAll(async () => {
  if (scripts) await rm(scripts, { recursive: true, force: true });
});

const replay =
  (result: NvidiaSmiResult): NvidiaSmiRunner =>
  async () =>
    result;

describe('collectSnapshot', () => {
  it('reads the first GPU, the vLLM queue and the running jobs', async () => {
    const stdout = await readFile(
      new URL('../../fixtures/nvidia-smi/h200-metrics.csv', import.meta.url),
      'utf8',
    );
    env.sink.respond('/metrics', { text: PROMETHEUS });
    const startedAt = Date.now() - 5_000;
    const snapshot = await collectSnapshot({
      runner: replay({ exitCode: 0, stdout, stderr: '' }),
      metricsUrl: `${env.sink.url}/metrics`,
      runningJobIds: () => ['job-1', 'job-2'],
      startedAt,
    });
    expect(snapshot).toEqual({
      timestamp: expect.any(Number),
      worker_uptime_s: expect.any(Number),
      gpu_memory_used_mb: 0,
      gpu_memory_total_mb: 143771,
      gpu_utilization_pct: 0,
      gpu_temperature_c: 36,
      vllm_running_requests: 2,
      vllm_waiting_requests: 4,
      current_job_id: 'job-1',
      current_job_ids: ['job-1', 'job-2'],
    });
    expect(snapshot.worker_uptime_s).toBeGreaterThanOrEqual(5);
    expect(snapshot.timestamp).toBeCloseTo(startedAt / 1000 + snapshot.worker_uptime_s, 3);
  });

  it('leaves out what it cannot read, and current_job_id when idle', async () => {
    env.sink.respond('/metrics', { status: 500 });
    const snapshot = await collectSnapshot({
      runner: replay({ absent: true }),
      metricsUrl: `${env.sink.url}/metrics`,
      runningJobIds: () => [],
      startedAt: Date.now(),
    });
    expect(snapshot).toEqual({
      timestamp: expect.any(Number),
      worker_uptime_s: expect.any(Number),
      current_job_ids: [],
    });
  });

  it('survives a runner that throws and an unreachable vLLM', async () => {
    const closed = await startHttpSink();
    await closed.close();
    const snapshot = await collectSnapshot({
      runner: async () => {
        throw new Error('spawn failed');
      },
      metricsUrl: `${closed.url}/metrics`,
      runningJobIds: () => ['job-3'],
      startedAt: Date.now(),
    });
    expect(Object.keys(snapshot)).toEqual([
      'timestamp',
      'worker_uptime_s',
      'current_job_id',
      'current_job_ids',
    ]);
  });
});

const SNAPSHOT: MetricsSnapshot = {
  timestamp: 1_700_000_000.5,
  worker_uptime_s: 12.5,
  gpu_memory_used_mb: 70_000,
  vllm_waiting_requests: 0,
  current_job_ids: [],
};

function reporter(options: Partial<MetricsReporterOptions> = {}) {
  return createMetricsReporter({
    url: `${env.sink.url}${PATH}`,
    token: TOKEN,
    instanceId: 'runpod-p1',
    queueId: 'vllm-queue',
    configId: 'cfg-1',
    collect: async () => SNAPSHOT,
    logger: env.logs.logger,
    ...options,
  });
}

describe('metrics reporter', () => {
  it('POSTs {instance_id, queue_id, config_id, snapshots} with the bearer token', async () => {
    const metrics = reporter();
    expect(metrics.enabled).toBe(true);
    expect(await metrics.reportNow()).toBe(true);
    expect(env.sink.requests).toHaveLength(1);
    const [request] = env.sink.requests;
    expect(request).toMatchObject({ method: 'POST', path: PATH });
    expect(request?.headers.authorization).toBe(`Bearer ${TOKEN}`);
    expect(request?.body).toEqual({
      instance_id: 'runpod-p1',
      queue_id: 'vllm-queue',
      config_id: 'cfg-1',
      snapshots: [SNAPSHOT],
    });
  });

  it.each([
    ['no URL', { url: undefined }],
    ['no token', { token: undefined }],
  ])('is off with %s', async (_, settings) => {
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval'] });
    const collect = vi.fn(async () => SNAPSHOT);
    const metrics = reporter({ ...settings, collect });
    expect(metrics.enabled).toBe(false);
    metrics.start();
    expect(vi.getTimerCount()).toBe(0);
    expect(await metrics.reportNow()).toBe(true);
    expect(await metrics.stop()).toBe(true);
    expect(collect).not.toHaveBeenCalled();
    expect(env.sink.requests).toEqual([]);
  });

  it('logs a rejected report with the URL and status, and resolves false', async () => {
    env.sink.respond(PATH, { status: 401 });
    expect(await reporter().reportNow()).toBe(false);
    expect(env.warnings()).toEqual([
      expect.objectContaining({ url: `${env.sink.url}${PATH}`, status: 401 }),
    ]);
  });

  it('gives up after its timeout', async () => {
    env.sink.respond(PATH, { hang: true });
    expect(await reporter({ timeoutMs: 100 }).reportNow()).toBe(false);
    expect(env.warnings()).toEqual([
      expect.objectContaining({ url: `${env.sink.url}${PATH}`, reason: 'no answer within 100 ms' }),
    ]);
  });

  it('logs a snapshot that cannot be taken and sends nothing', async () => {
    const metrics = reporter({
      collect: async () => {
        throw new Error('collector broke');
      },
    });
    expect(await metrics.reportNow()).toBe(false);
    expect(env.sink.requests).toEqual([]);
    expect(env.warnings()).toEqual([
      expect.objectContaining({ msg: 'metrics snapshot could not be taken' }),
    ]);
  });

  it('reports on its interval once started', async () => {
    const metrics = reporter({ intervalMs: 10 });
    metrics.start();
    const request = await env.sink.waitFor((r) => r.path === PATH);
    expect((request.body as { snapshots: unknown[] }).snapshots).toEqual([SNAPSHOT]);
    await metrics.stop();
  });

  it('stops its timer and sends a last snapshot on stop', async () => {
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval'] });
    const metrics = reporter({ intervalMs: 30_000 });
    metrics.start();
    metrics.start();
    expect(vi.getTimerCount()).toBe(1);
    expect(await metrics.stop()).toBe(true);
    expect(vi.getTimerCount()).toBe(0);
    expect(env.sink.requestsTo(PATH)).toHaveLength(1);
  });

  it('resolves stop at its deadline when nvidia-smi hangs (a wedged driver), saying so', async () => {
    const collect = () =>
      collectSnapshot({
        runner: createNvidiaSmiRunner(hungNvidiaSmi),
        metricsUrl: `${env.sink.url}/vllm-metrics`,
        runningJobIds: () => [],
        startedAt: Date.now(),
      });
    expect(await reporter({ collect, stopDeadlineMs: 300 }).stop()).toBe(false);
    expect(env.warnings()).toEqual([
      expect.objectContaining({
        msg: 'the last metrics snapshot was not delivered within 300 ms: shutdown goes on without it',
      }),
    ]);
  });

  it('takes no new snapshot while the last one is still under way', async () => {
    let calls = 0;
    const metrics = reporter({
      intervalMs: 5,
      collect: () => {
        calls += 1;
        return new Promise<MetricsSnapshot>(() => undefined);
      },
    });
    metrics.start();
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(calls).toBe(1);
    await metrics.stop();
  });
});
