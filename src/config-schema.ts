/**
 * The environment as zod sees it: one schema per variable of worker.md's configuration
 * table (names are the platform's), with its default, plus how to fix each one. Issue
 * messages state the problem only; config.ts adds the variable, its value and the fix.
 * Values arrive trimmed, and empty ones are already removed (empty counts as missing).
 */
import { z } from 'zod';
import { DEFAULTS } from '../machines/defaults.ts';
import { splitArgs, splitExtraArgs } from './split-args.ts';

/** A decimal number, signed so that `-1` reads as "must be at least" rather than garbage. */
const DECIMAL = /^[+-]?(\d+(\.\d*)?|\.\d+)$/;

const text = z.string();
const required = z.string({ error: 'is missing' });

const decimal = z.string().regex(DECIMAL, { error: 'is not a number' }).transform(Number);

function wholeNumber(min: number, max = Number.MAX_SAFE_INTEGER) {
  return decimal.pipe(
    z
      .number()
      .int({ error: 'is not a whole number' })
      .min(min, { error: `must be at least ${min}` })
      .max(max, { error: `must be at most ${max}` }),
  );
}

/** The longest a Node timer waits (2^31 − 1 ms); longer ones fire after 1 ms. */
export const MAX_TIMER_MS = 2 ** 31 - 1;

/** A URL without a `#fragment`, which a WebSocket URL cannot have. */
export const hasNoFragment = (value: string) => !value.includes('#');

/**
 * The longest a timer can wait, in whole seconds: Node fires a timer of more than 2^31 − 1 ms
 * (about 24.8 days) after 1 ms instead, which would turn a grace period into none and an
 * interval into a busy loop.
 */
export const MAX_SECONDS = Math.floor(MAX_TIMER_MS / 1000);

/** Seconds (fractional allowed), turned into whole milliseconds. */
function seconds(options: { allowZero: boolean }) {
  // Checked in whole milliseconds, as the timers get it: 0.0001 s would be a 0 ms interval.
  const range = (
    options.allowZero
      ? z.number().min(0, { error: 'must not be negative' })
      : z.number().min(0.001, { error: 'must be at least 0.001 (1 ms)' })
  ).max(MAX_SECONDS, { error: `must be at most ${MAX_SECONDS} (about 24 days)` });
  return decimal.pipe(range).transform((value) => Math.round(value * 1000));
}

const wsUrl = z
  .url({ protocol: /^wss?$/, error: 'is not a ws:// or wss:// URL' })
  .refine(hasNoFragment, { error: 'has a #fragment, which a WebSocket URL cannot have' });
const httpUrl = z.url({ protocol: /^https?$/, error: 'is not an http:// or https:// URL' });

const extraArgs = z.string().transform((value, context) => {
  const split = splitExtraArgs(value);
  if (split.ok) return split.args;
  context.issues.push({ code: 'custom', message: split.problem, input: value });
  return z.NEVER;
});

/** The vLLM executable, maybe with leading arguments: kept as text, checked to split now. */
const serveCommand = z.string().superRefine((value, context) => {
  const split = splitArgs(value);
  if (!split.ok) context.addIssue({ code: 'custom', message: split.problem, input: value });
  else if (split.args.length === 0 || split.args[0] === '') {
    context.addIssue({ code: 'custom', message: 'names no executable', input: value });
  }
});

const inspectTarget = z.string().transform((value, context) => {
  if (value === 'sky') return { kind: 'sky' as const };
  if (wsUrl.safeParse(value).success) return { kind: 'websocket' as const, url: value };
  context.issues.push({
    code: 'custom',
    message: 'is neither `sky` nor a ws:// URL',
    input: value,
  });
  return z.NEVER;
});

/**
 * Why `token` cannot be sent as `Authorization: Bearer <token>`, or undefined when it can: an
 * HTTP header carries visible ASCII only, and Node throws (ERR_INVALID_CHAR) on anything else,
 * e.g. an en dash or a newline pasted along with the token. The problem never quotes the token.
 */
function bearerTokenProblem(token: string): string | undefined {
  const index = [...token].findIndex((char) => !/^[\x21-\x7e]$/.test(char));
  if (index === -1) return undefined;
  const char = [...token][index]!;
  const code = `U+${char.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}`;
  return `has ${code} at character ${index + 1}, which an HTTP header cannot carry (only visible ASCII, no spaces)`;
}

/** A bearer token (`CASOLA_API_TOKEN`, the SDK's `apiToken`). */
export const bearerToken = z.string({ error: 'must be a string' }).superRefine((value, context) => {
  const problem = bearerTokenProblem(value);
  if (problem !== undefined) context.addIssue({ code: 'custom', message: problem, input: value });
});

const MIB = 1024 * 1024;

/**
 * The defaults of the variables no machine owns (the machines' are in machines/defaults.ts),
 * in the units the worker uses: the schema, the fix texts, `run --help`, the SDK and (checked
 * by test/unit/cli/environment-help.test.ts) docs/configuration.md read them from here.
 */
export const CONFIG_DEFAULTS = Object.freeze({
  /** CASOLA_QUEUE_ID, sent with heartbeats, logs and metrics. */
  queueId: 'vllm-queue',
  /** CASOLA_BACKPRESSURE_CHECK_INTERVAL, in ms. */
  backpressureCheckIntervalMs: 5_000,
  /** CASOLA_LOG_FLUSH_INTERVAL, in ms. */
  logFlushIntervalMs: 30_000,
  /** VLLM_HOST: where vLLM listens. */
  vllmHost: '127.0.0.1',
  /** VLLM_PORT: where vLLM listens. */
  vllmPort: 8000,
  /** VLLM_SERVED_MODEL_NAME: the `model` every request to vLLM names. */
  vllmServedModelName: 'default',
  /** VLLM_SERVE_COMMAND: the vLLM executable. */
  vllmServeCommand: 'vllm',
  /** CASOLA_MAX_FRAME_BYTES: the largest inbound WebSocket frame, in bytes (64 MiB). */
  maxFrameBytes: 64 * MIB,
} as const);

export const environmentSchema = z.object({
  CASOLA_WS_URL: required.pipe(wsUrl),
  CASOLA_CONFIG_ID: required,
  CASOLA_API_URL: httpUrl.optional(),
  CASOLA_API_TOKEN: bearerToken.optional(),
  CASOLA_INSTANCE_ID: text.optional(),
  RUNPOD_POD_ID: text.optional(),
  CONTAINER_ID: text.optional(),
  CASOLA_QUEUE_ID: text.default(CONFIG_DEFAULTS.queueId),
  CASOLA_CAPACITY: wholeNumber(1).default(DEFAULTS.capacity),
  CASOLA_HEARTBEAT_INTERVAL: seconds({ allowZero: false }).default(DEFAULTS.heartbeatIntervalMs),
  CASOLA_SHUTDOWN_GRACE_PERIOD: seconds({ allowZero: true }).default(DEFAULTS.gracePeriodMs),
  CASOLA_BACKPRESSURE_CHECK_INTERVAL: seconds({ allowZero: true }).default(
    CONFIG_DEFAULTS.backpressureCheckIntervalMs,
  ),
  CASOLA_BACKPRESSURE_PAUSE_THRESHOLD: wholeNumber(0).default(DEFAULTS.pauseThreshold),
  CASOLA_BACKPRESSURE_RESUME_THRESHOLD: wholeNumber(0).default(DEFAULTS.resumeThreshold),
  CASOLA_LOGS_URL: httpUrl.optional(),
  CASOLA_LOG_FLUSH_INTERVAL: seconds({ allowZero: false }).default(
    CONFIG_DEFAULTS.logFlushIntervalMs,
  ),
  CASOLA_METRICS_URL: httpUrl.optional(),
  CASOLA_EXPECTED_GPU_NAME: text.optional(),
  CASOLA_EXPECTED_VRAM_GB: decimal
    .pipe(z.number().gt(0, { error: 'must be more than 0' }))
    .optional(),
  VLLM_MODEL: required,
  VLLM_HOST: text.default(CONFIG_DEFAULTS.vllmHost),
  VLLM_PORT: wholeNumber(1, 65_535).default(CONFIG_DEFAULTS.vllmPort),
  VLLM_SERVED_MODEL_NAME: text.default(CONFIG_DEFAULTS.vllmServedModelName),
  VLLM_EXTRA_ARGS: extraArgs.default([]),
  VLLM_SERVE_COMMAND: serveCommand.default(CONFIG_DEFAULTS.vllmServeCommand),
  VLLM_OMNI: z
    .enum(['true', 'false'], { error: 'is neither true nor false' })
    .transform((value) => value === 'true')
    .optional(),
  VLLM_API_KEY: text.optional(),
  VLLM_STARTUP_TIMEOUT: seconds({ allowZero: false }).default(DEFAULTS.startupTimeoutMs),
  VLLM_UNHEALTHY_TIMEOUT: seconds({ allowZero: false }).default(DEFAULTS.unhealthyTimeoutMs),
  CASOLA_STATUS_PORT: wholeNumber(0, 65_535).optional(),
  CASOLA_INSPECT: inspectTarget.optional(),
  CASOLA_MAX_FRAME_BYTES: wholeNumber(1).default(CONFIG_DEFAULTS.maxFrameBytes),
});

const SECONDS = `seconds, fractions allowed, at most ${MAX_SECONDS}`;

/** How to fix each variable, appended to its problem (with its default: {@link fixOf}). */
export const environmentFixes: Record<keyof typeof environmentSchema.shape, string> = {
  CASOLA_WS_URL: "set it to the queue's base URL, e.g. wss://queue.example.com",
  CASOLA_CONFIG_ID: 'set it to the id of the job config this worker serves',
  CASOLA_API_URL: "set it to the platform API's base URL, or unset it to send no heartbeats",
  CASOLA_API_TOKEN:
    "set it to the worker's API token as issued (a copy-paste can bring in a dash or quote that is not ASCII)",
  CASOLA_INSTANCE_ID: 'set it to a name for this instance, or unset it to derive one',
  RUNPOD_POD_ID: 'unset it, or set CASOLA_INSTANCE_ID',
  CONTAINER_ID: 'unset it, or set CASOLA_INSTANCE_ID',
  CASOLA_QUEUE_ID: 'set it to the queue id',
  CASOLA_CAPACITY: `set it to how many jobs run at once, a whole number ≥ 1`,
  CASOLA_HEARTBEAT_INTERVAL: `set it in ${SECONDS}, at least 0.001`,
  CASOLA_SHUTDOWN_GRACE_PERIOD: `set it in ${SECONDS}, 0 or more`,
  CASOLA_BACKPRESSURE_CHECK_INTERVAL: `set it in ${SECONDS}, or 0 to turn backpressure off`,
  CASOLA_BACKPRESSURE_PAUSE_THRESHOLD: `set it to a whole number of waiting requests ≥ 0`,
  CASOLA_BACKPRESSURE_RESUME_THRESHOLD: `set it to a whole number of waiting requests, at most the pause threshold`,
  CASOLA_LOGS_URL: 'set it to the log endpoint (http:// or https://), or unset it to ship no logs',
  CASOLA_LOG_FLUSH_INTERVAL: `set it in ${SECONDS}, at least 0.001`,
  CASOLA_METRICS_URL:
    'set it to the metrics endpoint (http:// or https://), or unset it to send no metrics',
  CASOLA_EXPECTED_GPU_NAME: 'set it to part of the expected GPU name, e.g. H100',
  CASOLA_EXPECTED_VRAM_GB: 'set it to the expected GPU memory in GB, e.g. 80, or unset it',
  VLLM_MODEL: 'set it to the model vLLM should serve, e.g. Qwen/Qwen2.5-0.5B-Instruct',
  VLLM_HOST: 'set it to the address vLLM listens on',
  VLLM_PORT: 'set it to a port between 1 and 65535',
  VLLM_SERVED_MODEL_NAME: 'set it to the model name requests use',
  VLLM_EXTRA_ARGS: 'close every quote that starts a word, as in a shell command line',
  VLLM_SERVE_COMMAND:
    'set it to the vLLM executable; quote a path with spaces and close every quote',
  VLLM_OMNI:
    'set it to true (vLLM-Omni, `--omni`) or false (plain vLLM), or unset it to decide by VLLM_SERVE_COMMAND',
  VLLM_API_KEY: 'set it to the key vLLM demands, or unset it',
  VLLM_STARTUP_TIMEOUT: `set it in ${SECONDS}, at least 0.001`,
  VLLM_UNHEALTHY_TIMEOUT: `set it in ${SECONDS}, at least 0.001`,
  CASOLA_STATUS_PORT: 'set it to a port between 0 and 65535, or unset it to turn the server off',
  CASOLA_INSPECT: 'set it to `sky` or a ws:// URL, or unset it to turn inspection off',
  CASOLA_MAX_FRAME_BYTES: 'set it to a whole number of bytes ≥ 1',
};

/** The text that, set as the variable, gives `value`: seconds read back from milliseconds. */
function asTyped(field: z.ZodType, value: unknown): string {
  if (Array.isArray(value)) return value.length === 0 ? 'empty' : value.join(' ');
  if (typeof value !== 'number') return String(value);
  const candidates = [String(value), String(value / 1000)];
  return candidates.find((text) => field.safeParse(text).data === value) ?? String(value);
}

export type VariableName = keyof typeof environmentSchema.shape;

/** `required`, `optional`, `empty`, or the variable's default as one would set it (`60` for 60 s). */
export function defaultOf(name: VariableName): string {
  const field: z.ZodType = environmentSchema.shape[name];
  const def = field.def as { type: string; defaultValue?: unknown };
  if (def.type === 'default') return asTyped(field, def.defaultValue);
  return def.type === 'optional' ? 'optional' : 'required';
}

/** How to fix the variable, naming its default when it has one. */
export function fixOf(name: VariableName): string {
  const value = defaultOf(name);
  const fix = environmentFixes[name];
  return ['required', 'optional', 'empty'].includes(value) ? fix : `${fix} (default ${value})`;
}
