/**
 * The Casola queue's wire protocol (shared/spec/protocol.md) as zod schemas.
 *
 * Field names and defaults are a contract with the production queue and the reference SDK.
 * Every frame is a loose object: fields the queue adds later are kept, never rejected.
 */
import { z } from 'zod';

/** Any JSON value. Frames come from `JSON.parse`, so only presence needs checking. */
export type JsonValue =
  | string
  | number
  | boolean
  | null
  | JsonValue[]
  | { [key: string]: JsonValue };

/** Present, and not a value JSON leaves out (a function or a symbol would vanish in transit). */
const jsonValue = z.custom<JsonValue>(
  (value) => value !== undefined && typeof value !== 'function' && typeof value !== 'symbol',
  { message: 'is required, as JSON (not a function or a symbol)' },
);

const jobId = z.string().min(1);
const httpUrl = z.url({ protocol: /^https?$/ });
/** Fence tokens increase monotonically per queue; transient frames carry 0. */
const fenceToken = z.number().int().nonnegative();

// ---------------------------------------------------------------- worker → queue

export const registerFrame = z.looseObject({
  type: z.literal('register'),
  worker_id: z.string().min(1),
  config_id: z.string().min(1),
  /** Jobs the worker runs at once. Default 1. */
  capacity: z.number().int().nonnegative().default(1),
});

export const jobResultFrame = z.looseObject({
  type: z.literal('job_result'),
  job_id: jobId,
  result: jsonValue,
  fence_token: fenceToken,
});

export const jobResultRefFrame = z.looseObject({
  type: z.literal('job_result_ref'),
  job_id: jobId,
  fence_token: fenceToken,
});

export const jobErrorFrame = z.looseObject({
  type: z.literal('job_error'),
  job_id: jobId,
  error: z.string(),
  fence_token: fenceToken,
});

export const jobProgressFrame = z.looseObject({
  type: z.literal('job_progress'),
  job_id: jobId,
  fence_token: fenceToken,
  progress: z.number().optional(),
  status_message: z.string().optional(),
});

export const drainFrame = z.looseObject({ type: z.literal('drain') });
export const pauseFrame = z.looseObject({ type: z.literal('pause') });
export const resumeFrame = z.looseObject({ type: z.literal('resume') });

export const workerFrameSchemas = {
  register: registerFrame,
  job_result: jobResultFrame,
  job_result_ref: jobResultRefFrame,
  job_error: jobErrorFrame,
  job_progress: jobProgressFrame,
  drain: drainFrame,
  pause: pauseFrame,
  resume: resumeFrame,
} as const;

// ---------------------------------------------------------------- queue → worker

/**
 * An optional or defaulted field that may also come as null: a queue written in Python sends
 * `None` as null, and the reference SDK reads a null field as a missing one (`.get()`).
 */
function nullAsMissing<T extends z.ZodType>(schema: T) {
  return z.preprocess((value) => (value === null ? undefined : value), schema);
}

export const jobModeSchema = z.enum(['transient', 'persisted']);

export const jobFrame = z.looseObject({
  type: z.literal('job'),
  job_id: jobId,
  mode: nullAsMissing(jobModeSchema.default('transient')),
  config_id: z.string(),
  fence_token: nullAsMissing(fenceToken.default(0)),
  /** A null payload is a payload (any JSON); only a missing one defaults to `{}`. */
  payload: jsonValue.default({}),
  /** Presigned URL of the real payload (offloaded by the queue). */
  payload_url: nullAsMissing(httpUrl.optional()),
  /** Presigned URL a large result may be PUT to (persisted jobs). */
  result_upload_url: nullAsMissing(httpUrl.optional()),
});

/** The reason a revocation gave none: the revocation is honoured all the same. */
export const NO_REASON = 'no reason given';

export const jobRevokedFrame = z.looseObject({
  type: z.literal('job_revoked'),
  job_id: jobId,
  reason: nullAsMissing(z.string().default(NO_REASON)),
});

/** The queue's acknowledgement of a worker's `job_result_ref`; nothing to do. */
export const jobResultRefAckFrame = z.looseObject({
  type: z.literal('job_result_ref'),
  job_id: jobId,
});

export const errorFrame = z.looseObject({
  type: z.literal('error'),
  message: z.string(),
});

export const queueFrameSchemas = {
  job: jobFrame,
  job_revoked: jobRevokedFrame,
  job_result_ref: jobResultRefAckFrame,
  error: errorFrame,
} as const;

// ---------------------------------------------------------------- types

type Output<S extends Record<string, z.ZodType>> = { [K in keyof S]: z.output<S[K]> }[keyof S];
/** Input shape: fields with defaults may be left out. */
type Input<S extends Record<string, z.ZodType>> = { [K in keyof S]: z.input<S[K]> }[keyof S];

export type WorkerFrame = Output<typeof workerFrameSchemas>;
export type WorkerFrameInput = Input<typeof workerFrameSchemas>;
export type QueueFrame = Output<typeof queueFrameSchemas>;
export type QueueFrameInput = Input<typeof queueFrameSchemas>;
export type WorkerFrameType = keyof typeof workerFrameSchemas;
export type QueueFrameType = keyof typeof queueFrameSchemas;

export type RegisterFrame = z.output<typeof registerFrame>;
export type JobResultFrame = z.output<typeof jobResultFrame>;
export type JobResultRefFrame = z.output<typeof jobResultRefFrame>;
export type JobErrorFrame = z.output<typeof jobErrorFrame>;
export type JobProgressFrame = z.output<typeof jobProgressFrame>;
export type JobFrame = z.output<typeof jobFrame>;
export type JobRevokedFrame = z.output<typeof jobRevokedFrame>;
export type ErrorFrame = z.output<typeof errorFrame>;
export type JobMode = z.output<typeof jobModeSchema>;
