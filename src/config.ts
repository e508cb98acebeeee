/**
 * The worker's configuration: the environment variables of worker.md, validated once at
 * start with zod into a typed `WorkerConfig`. Bad configuration is data (`ConfigError`, one
 * problem per bad variable), so the CLI can print every problem at once and exit 2.
 */
import type { z } from 'zod';
import type { DEFAULTS } from '../machines/defaults.ts';
import {
  type CONFIG_DEFAULTS,
  environmentSchema,
  fixOf,
  type VariableName,
} from './config-schema.ts';
import { ConfigError } from './errors.ts';
import { withPath } from './net/http-base.ts';
import {
  redactArgs,
  redactValues,
  SENSITIVE_NAME,
  secretArgValues,
} from './observability/redact.ts';
import { splitArgs } from './split-args.ts';

/** Where `CASOLA_INSPECT` attaches the Stately inspector. */
export type InspectTarget = { kind: 'sky' } | { kind: 'websocket'; url: string };

export type WorkerConfig = {
  /** `CASOLA_WS_URL`: the queue's base URL (ws:// or wss://). Required. */
  wsUrl: string;
  /** `CASOLA_CONFIG_ID`: the job config this worker serves. Required. */
  configId: string;
  /** `CASOLA_API_URL`: base of `/api/heartbeats`. Default unset (no heartbeats). */
  apiUrl?: string;
  /** `CASOLA_API_TOKEN`: bearer for the queue, heartbeats, logs and metrics. Default unset. */
  apiToken?: string;
  /**
   * `CASOLA_INSTANCE_ID`, also the `worker_id`. Default `runpod-$RUNPOD_POD_ID`, else
   * `vast-$CONTAINER_ID`, else `vast-<pid>`.
   */
  instanceId: string;
  /** `CASOLA_QUEUE_ID`: sent with heartbeats, logs and metrics. Default {@link CONFIG_DEFAULTS.queueId}. */
  queueId: string;
  /** `CASOLA_CAPACITY`: jobs run at once, advertised in `register`. Default {@link DEFAULTS.capacity}. */
  capacity: number;
  /** `CASOLA_HEARTBEAT_INTERVAL` in milliseconds (set in seconds). Default {@link DEFAULTS.heartbeatIntervalMs}. */
  heartbeatIntervalMs: number;
  /**
   * `CASOLA_SHUTDOWN_GRACE_PERIOD` in milliseconds: the wait for running jobs and the delivery
   * of their results. Default {@link DEFAULTS.gracePeriodMs}.
   */
  shutdownGracePeriodMs: number;
  /** `CASOLA_BACKPRESSURE_CHECK_INTERVAL` in milliseconds; 0 turns backpressure off. Default {@link CONFIG_DEFAULTS.backpressureCheckIntervalMs}. */
  backpressureCheckIntervalMs: number;
  /** `CASOLA_BACKPRESSURE_PAUSE_THRESHOLD`: pause when more requests wait. Default {@link DEFAULTS.pauseThreshold}. */
  backpressurePauseThreshold: number;
  /** `CASOLA_BACKPRESSURE_RESUME_THRESHOLD`: resume at or below this many waiting. Default {@link DEFAULTS.resumeThreshold}. */
  backpressureResumeThreshold: number;
  /** `CASOLA_LOGS_URL`: where log batches are POSTed. Default unset (no shipping). */
  logsUrl?: string;
  /** `CASOLA_LOG_FLUSH_INTERVAL` in milliseconds (set in seconds). Default {@link CONFIG_DEFAULTS.logFlushIntervalMs}. */
  logFlushIntervalMs: number;
  /** `CASOLA_METRICS_URL`: where metric snapshots are POSTed. Default unset (no metrics). */
  metricsUrl?: string;
  /** `CASOLA_EXPECTED_GPU_NAME`: every GPU's name must contain it. Default unset (any). */
  expectedGpuName?: string;
  /** `CASOLA_EXPECTED_VRAM_GB` in GB (GiB): each GPU needs 90 % of it. Default unset (any). */
  expectedVramGb?: number;
  /** `VLLM_MODEL`: the model vLLM serves. Required. */
  vllmModel: string;
  /** `VLLM_HOST`: where vLLM listens. Default {@link CONFIG_DEFAULTS.vllmHost}. */
  vllmHost: string;
  /** `VLLM_PORT`: where vLLM listens. Default {@link CONFIG_DEFAULTS.vllmPort}. */
  vllmPort: number;
  /** `VLLM_SERVED_MODEL_NAME`: the `model` every request names. Default {@link CONFIG_DEFAULTS.vllmServedModelName}. */
  vllmServedModelName: string;
  /**
   * `VLLM_EXTRA_ARGS`, split on whitespace with every word as written (as the reference did), a
   * word that starts with a quote split as a shell would (splitExtraArgs). Default [].
   */
  vllmExtraArgs: string[];
  /** `VLLM_SERVE_COMMAND`: the executable (`vllm-omni` for the omni image). Default {@link CONFIG_DEFAULTS.vllmServeCommand}. */
  vllmServeCommand: string;
  /**
   * `VLLM_OMNI`: true runs vLLM-Omni's server (`--omni`), false plain vLLM. Default unset: omni
   * when VLLM_SERVE_COMMAND's executable is `vllm-omni`.
   */
  vllmOmni?: boolean;
  /** `VLLM_API_KEY`: vLLM reads it too and then demands it on /v1. Default unset (no key). */
  vllmApiKey?: string;
  /** `VLLM_STARTUP_TIMEOUT` in milliseconds: wait for vLLM to be healthy. Default {@link DEFAULTS.startupTimeoutMs}. */
  vllmStartupTimeoutMs: number;
  /**
   * `VLLM_UNHEALTHY_TIMEOUT` in milliseconds: how long running jobs wait for an unhealthy vLLM
   * before they are given up. Default {@link DEFAULTS.unhealthyTimeoutMs}.
   */
  vllmUnhealthyTimeoutMs: number;
  /** `CASOLA_STATUS_PORT`: the status server's port (0 picks a free one). Default unset (off). */
  statusPort?: number;
  /** `CASOLA_INSPECT`: `sky` or a ws:// URL for the Stately inspector. Default unset (off). */
  inspect?: InspectTarget;
  /** `CASOLA_MAX_FRAME_BYTES` in bytes: largest inbound WebSocket frame. Default {@link CONFIG_DEFAULTS.maxFrameBytes}. */
  maxFrameBytes: number;
};

export type LoadConfig = { ok: true; config: WorkerConfig } | { ok: false; error: ConfigError };

type Environment = Record<string, string | undefined>;

/** Reads the configuration; never throws. An empty (or blank) value counts as missing. */
export function loadConfig(env: Environment): LoadConfig {
  const input: Environment = {};
  for (const name of Object.keys(environmentSchema.shape)) {
    const value = env[name]?.trim();
    if (value) input[name] = value;
  }
  const parsed = environmentSchema.safeParse(input);
  if (!parsed.success) {
    return { ok: false, error: new ConfigError(describeProblems(parsed.error, input)) };
  }
  const vars = parsed.data;
  if (vars.CASOLA_BACKPRESSURE_RESUME_THRESHOLD > vars.CASOLA_BACKPRESSURE_PAUSE_THRESHOLD) {
    const problem =
      `CASOLA_BACKPRESSURE_RESUME_THRESHOLD=${vars.CASOLA_BACKPRESSURE_RESUME_THRESHOLD} is ` +
      `above CASOLA_BACKPRESSURE_PAUSE_THRESHOLD=${vars.CASOLA_BACKPRESSURE_PAUSE_THRESHOLD}, ` +
      'so the worker would pause and resume on every check: ' +
      fixOf('CASOLA_BACKPRESSURE_RESUME_THRESHOLD');
    return { ok: false, error: new ConfigError([problem]) };
  }
  return { ok: true, config: toConfig(vars) };
}

function toConfig(vars: z.output<typeof environmentSchema>): WorkerConfig {
  return {
    wsUrl: vars.CASOLA_WS_URL,
    configId: vars.CASOLA_CONFIG_ID,
    apiUrl: vars.CASOLA_API_URL,
    apiToken: vars.CASOLA_API_TOKEN,
    instanceId: instanceIdOf(vars),
    queueId: vars.CASOLA_QUEUE_ID,
    capacity: vars.CASOLA_CAPACITY,
    heartbeatIntervalMs: vars.CASOLA_HEARTBEAT_INTERVAL,
    shutdownGracePeriodMs: vars.CASOLA_SHUTDOWN_GRACE_PERIOD,
    backpressureCheckIntervalMs: vars.CASOLA_BACKPRESSURE_CHECK_INTERVAL,
    backpressurePauseThreshold: vars.CASOLA_BACKPRESSURE_PAUSE_THRESHOLD,
    backpressureResumeThreshold: vars.CASOLA_BACKPRESSURE_RESUME_THRESHOLD,
    logsUrl: vars.CASOLA_LOGS_URL,
    logFlushIntervalMs: vars.CASOLA_LOG_FLUSH_INTERVAL,
    metricsUrl: vars.CASOLA_METRICS_URL,
    expectedGpuName: vars.CASOLA_EXPECTED_GPU_NAME,
    expectedVramGb: vars.CASOLA_EXPECTED_VRAM_GB,
    vllmModel: vars.VLLM_MODEL,
    vllmHost: vars.VLLM_HOST,
    vllmPort: vars.VLLM_PORT,
    vllmServedModelName: vars.VLLM_SERVED_MODEL_NAME,
    vllmExtraArgs: vars.VLLM_EXTRA_ARGS,
    vllmServeCommand: vars.VLLM_SERVE_COMMAND,
    vllmOmni: vars.VLLM_OMNI,
    vllmApiKey: vars.VLLM_API_KEY,
    vllmStartupTimeoutMs: vars.VLLM_STARTUP_TIMEOUT,
    vllmUnhealthyTimeoutMs: vars.VLLM_UNHEALTHY_TIMEOUT,
    statusPort: vars.CASOLA_STATUS_PORT,
    inspect: vars.CASOLA_INSPECT,
    maxFrameBytes: vars.CASOLA_MAX_FRAME_BYTES,
  };
}

function instanceIdOf(vars: z.output<typeof environmentSchema>): string {
  if (vars.CASOLA_INSTANCE_ID) return vars.CASOLA_INSTANCE_ID;
  if (vars.RUNPOD_POD_ID) return `runpod-${vars.RUNPOD_POD_ID}`;
  if (vars.CONTAINER_ID) return `vast-${vars.CONTAINER_ID}`;
  return `vast-${process.pid}`;
}

/** Longest raw value quoted back in a problem; the rest is elided. */
const QUOTE_CHARS = 80;

/** One line per bad variable: the variable, what is wrong with it, and how to fix it. */
function describeProblems(error: z.ZodError, input: Environment): string[] {
  const problems = new Map<string, string>();
  for (const issue of error.issues) {
    const name = String(issue.path[0]) as VariableName;
    if (problems.has(name)) continue;
    const raw = input[name];
    const fix = fixOf(name);
    if (raw === undefined) {
      problems.set(name, `${name} is missing: ${fix}`);
      continue;
    }
    const shown = maskValue(name, raw);
    const quoted = shown.length > QUOTE_CHARS ? `${shown.slice(0, QUOTE_CHARS)}…` : shown;
    problems.set(name, `${name}='${quoted}' ${issue.message}: ${fix}`);
  }
  return [...problems.values()];
}

/** The queue's WebSocket endpoint: the base URL's path without trailing slashes, plus `/ws`. */
export function queueSocketUrl(wsUrl: string): string {
  return withPath(wsUrl, '/ws');
}

/** Values shorter than this are masked entirely: their last 4 characters say too much. */
const MIN_CHARS_TO_SHOW_TAIL = 12;

/**
 * The value as it may be logged: masked when the name says it is a secret; otherwise with the
 * secrets inside it hidden (a URL's password and query, a `--api-key` flag's value).
 */
export function maskValue(name: string, value: string): string {
  if (value === '') return value;
  if (!SENSITIVE_NAME.test(name)) {
    // Quoted flags (`'--api-key' 'sk-...'`) too: the values of secret flags as a shell splits them.
    const split = splitArgs(value);
    const secrets = split.ok ? secretArgValues(split.args) : [];
    return redactValues(redactArgs(value.split(' ')).join(' '), secrets);
  }
  return value.length < MIN_CHARS_TO_SHOW_TAIL ? '****' : `****${value.slice(-4)}`;
}

/** `NAME=value` for every variable, sorted by name, secrets masked: the start-up log. */
export function describeEnvironment(env: Environment): string[] {
  return Object.entries(env)
    .filter((entry): entry is [string, string] => entry[1] !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([name, value]) => `${name}=${maskValue(name, value)}`);
}
