/**
 * System metrics: a snapshot of the GPU (nvidia-smi), vLLM's queue (its Prometheus
 * `/metrics`) and the jobs running now, POSTed to `CASOLA_METRICS_URL` every 30 s and once
 * more at shutdown. A source that cannot be read leaves its fields out; nothing throws.
 */
import { getText } from '../http/get-text.ts';
import { postJson } from '../http/post-json.ts';
import { FLUSH_DEADLINE_MS, withinDeadline } from './deadline.ts';
import type { Logger } from './logger.ts';
import { type NvidiaSmiRunner, readGpuMetrics } from './nvidia-smi.ts';
import { sumMetric } from './prometheus.ts';
import { redactUrl } from './redact.ts';

/** One snapshot, with the platform's field names. */
export type MetricsSnapshot = {
  /** Unix time in seconds, with a fraction. */
  timestamp: number;
  /** Seconds since the worker started. */
  worker_uptime_s: number;
  gpu_memory_used_mb?: number;
  gpu_memory_total_mb?: number;
  gpu_utilization_pct?: number;
  gpu_temperature_c?: number;
  vllm_running_requests?: number;
  vllm_waiting_requests?: number;
  /** One running job's id (the platform's field); left out when idle. */
  current_job_id?: string;
  /** Every running job's id. */
  current_job_ids: string[];
};

export type CollectSnapshotOptions = {
  runner: NvidiaSmiRunner;
  /** vLLM's Prometheus endpoint, e.g. `http://127.0.0.1:8000/metrics`. */
  metricsUrl: string;
  runningJobIds: () => readonly string[];
  /** When the worker started, in milliseconds since the epoch (`Date.now()`). */
  startedAt: number;
};

/** How long vLLM's `/metrics` may take to answer (ms). */
const VLLM_METRICS_TIMEOUT_MS = 5_000;

export async function collectSnapshot(options: CollectSnapshotOptions): Promise<MetricsSnapshot> {
  const [gpu, prometheus] = await Promise.all([
    readGpuMetrics(options.runner),
    getText(options.metricsUrl, VLLM_METRICS_TIMEOUT_MS),
  ]);
  const now = Date.now();
  const jobIds = [...options.runningJobIds()];
  const text = prometheus.ok ? prometheus.text : '';
  const readings = definedOnly({
    gpu_memory_used_mb: gpu.memoryUsedMib,
    gpu_memory_total_mb: gpu.memoryTotalMib,
    gpu_utilization_pct: gpu.utilizationPct,
    gpu_temperature_c: gpu.temperatureC,
    vllm_running_requests: sumMetric(text, 'vllm:num_requests_running'),
    vllm_waiting_requests: sumMetric(text, 'vllm:num_requests_waiting'),
    current_job_id: jobIds[0],
  });
  return {
    timestamp: now / 1000,
    worker_uptime_s: (now - options.startedAt) / 1000,
    ...readings,
    current_job_ids: jobIds,
  };
}

/** The fields whose value is known: the platform expects unknown readings left out. */
function definedOnly<T extends Record<string, unknown>>(fields: T): Partial<T> {
  return Object.fromEntries(
    Object.entries(fields).filter(([, value]) => value !== undefined),
  ) as Partial<T>;
}

export type MetricsReporterOptions = {
  /** The metrics endpoint. Reporting is off unless this and `token` are set. */
  url?: string | undefined;
  /** Bearer token. Reporting is off unless this and `url` are set. */
  token?: string | undefined;
  instanceId: string;
  queueId: string;
  configId: string;
  /** Interval between reports once started, in milliseconds. Default 30 000 ms. */
  intervalMs?: number;
  /** Takes one snapshot (usually `collectSnapshot` with the worker's sources). */
  collect: () => Promise<MetricsSnapshot>;
  logger: Logger;
  /** Give up on one POST after this many milliseconds. Default 10 000 ms. */
  timeoutMs?: number;
  /** How long the last report at stop() may take, snapshot and POST together. Default 10 000 ms. */
  stopDeadlineMs?: number;
};

export type MetricsReporter = {
  /** Whether anything is sent (URL and token both set). */
  readonly enabled: boolean;
  /**
   * Reports every `intervalMs` (an unref'd timer: it keeps no process alive); a tick while the
   * last report is still under way (a slow nvidia-smi or endpoint) is skipped.
   */
  start(): void;
  /**
   * Stops the timer and sends a last snapshot; resolves as `reportNow` does, or false at
   * `stopDeadlineMs` (logged).
   */
  stop(): Promise<boolean>;
  /**
   * Collects and sends one snapshot now. Resolves true when it was delivered (or metrics are
   * off), false when not. Never rejects.
   */
  reportNow(): Promise<boolean>;
};

export function createMetricsReporter(options: MetricsReporterOptions): MetricsReporter {
  const { url, token, logger, intervalMs = 30_000, timeoutMs = 10_000 } = options;
  const stopDeadlineMs = options.stopDeadlineMs ?? FLUSH_DEADLINE_MS;
  let timer: NodeJS.Timeout | undefined;
  /** Whether a tick's report is under way: the next tick is skipped rather than piled up. */
  let ticking: 'idle' | 'reporting' = 'idle';

  async function reportNow(): Promise<boolean> {
    if (!url || !token) return true;
    let snapshot: MetricsSnapshot;
    try {
      snapshot = await options.collect();
    } catch (error) {
      logger.warn({ err: error }, 'metrics snapshot could not be taken');
      return false;
    }
    const body = {
      instance_id: options.instanceId,
      queue_id: options.queueId,
      config_id: options.configId,
      snapshots: [snapshot],
    };
    const result = await postJson({ url, token, body, timeoutMs });
    if (result.ok) return true;
    logger.warn(
      { url: redactUrl(url), status: result.status, reason: result.reason },
      `metrics not delivered: ${result.reason}`,
    );
    return false;
  }

  return {
    enabled: Boolean(url && token),
    start() {
      if (!url || !token || timer !== undefined) return;
      timer = setInterval(() => {
        if (ticking === 'reporting') return;
        ticking = 'reporting';
        void reportNow().finally(() => {
          ticking = 'idle';
        });
      }, intervalMs);
      timer.unref();
    },
    stop() {
      clearInterval(timer);
      timer = undefined;
      return withinDeadline(reportNow(), stopDeadlineMs, () => {
        logger.warn(
          { url: redactUrl(url ?? ''), deadline_ms: stopDeadlineMs },
          `the last metrics snapshot was not delivered within ${stopDeadlineMs} ms: shutdown goes on without it`,
        );
        return false;
      });
    },
    reportNow,
  };
}
