/**
 * The SDK's options, checked when the worker is created: a bad one is a WorkerOptionsError
 * naming each problem, not a worker that never registers (a `register` frame with capacity
 * NaN is dropped) or a timer that fires every millisecond.
 */
import { z } from 'zod';
import { bearerToken, hasNoFragment, MAX_TIMER_MS } from './config-schema.ts';
import { WorkerOptionsError } from './errors.ts';

const ms = (min: number) =>
  z
    .number({ error: 'must be a number of milliseconds' })
    .min(min, { error: `must be at least ${min} ms` })
    .max(MAX_TIMER_MS, { error: `must be at most ${MAX_TIMER_MS} ms` })
    .optional();

/** A misspelt option is named, not ignored: its default would apply in silence. */
const unknownKeys = {
  error: (issue: { code?: string; keys?: string[] }) =>
    issue.code === 'unrecognized_keys'
      ? `has no option ${issue.keys?.map((key) => `'${key}'`).join(', ')} (a misspelling?)`
      : undefined,
};

const optionsSchema = z.strictObject(
  {
    wsUrl: z
      .url({
        protocol: /^wss?$/,
        error: (issue) =>
          issue.input === undefined
            ? "is required: the queue's base URL, ws:// or wss://"
            : 'must be a ws:// or wss:// URL',
      })
      .refine(hasNoFragment, { error: 'must not have a #fragment' }),
    workerId: z.string({ error: 'must be a string' }).min(1, { error: 'must not be empty' }),
    configId: z.string({ error: 'must be a string' }).min(1, { error: 'must not be empty' }),
    capacity: z
      .int({ error: 'must be a whole number of jobs' })
      .min(1, { error: 'must be at least 1' })
      .optional(),
    apiToken: bearerToken.optional(),
    onJob: z.custom<unknown>((value) => typeof value === 'function', {
      error: 'must be a function (the job handler)',
    }),
    maxFrameBytes: z
      .int({ error: 'must be a whole number of bytes' })
      .min(1, { error: 'must be at least 1' })
      .optional(),
    logger: z.unknown().optional(),
    inspect: z
      .custom<unknown>((value) => typeof value === 'function', { error: 'must be a function' })
      .optional(),
    timings: z
      .strictObject(
        {
          pingIntervalMs: ms(1),
          pongTimeoutMs: ms(1),
          reconnectDelayMs: z
            .custom<unknown>((value) => typeof value === 'function', {
              error: 'must be a function',
            })
            .optional(),
          renewIntervalMs: ms(1),
          gracePeriodMs: ms(0),
          heartbeatIntervalMs: ms(1),
          uploadTimeoutMs: ms(1),
          payloadTimeoutMs: ms(1),
        },
        unknownKeys,
      )
      .optional(),
  },
  unknownKeys,
);

/** Throws a WorkerOptionsError naming every bad option; returns nothing when all are fine. */
export function checkWorkerOptions(options: unknown): void {
  const parsed = optionsSchema.safeParse(options);
  if (parsed.success) return;
  throw new WorkerOptionsError(
    parsed.error.issues.map((issue) => `${issue.path.join('.') || 'options'} ${issue.message}`),
  );
}
