/**
 * Raw text → typed frame, or a typed reason why not. Nothing here throws: a bad frame is
 * data the caller logs and survives.
 */
import type { z } from 'zod';
import {
  type QueueFrame,
  queueFrameSchemas,
  type WorkerFrame,
  workerFrameSchemas,
} from './frames.ts';

/** How much of a rejected frame is quoted back in logs and errors. */
export const PREVIEW_CHARS = 200;

export type FrameRejection = {
  ok: false;
  reason: 'not_json' | 'unknown_type' | 'invalid_fields';
  /** The first 200 characters of the raw text. */
  preview: string;
  /** The frame's `type`, when it had a string one. */
  type?: string;
  /** The frame's `job_id`, when it had a string one: lets a worker answer a bad job. */
  jobId?: string;
  /** The frame's `fence_token`, when it had a valid one: an answer must carry it. */
  fenceToken?: number;
  /** What was wrong, naming the fields (invalid_fields), or the type (unknown_type). */
  detail: string;
};

export type FrameParse<F> = { ok: true; frame: F } | FrameRejection;

type SchemaTable = Record<string, z.ZodType>;

function parseWith<F>(table: SchemaTable, text: string): FrameParse<F> {
  const preview = text.slice(0, PREVIEW_CHARS);
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return { ok: false, reason: 'not_json', preview, detail: 'frame is not JSON' };
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return { ok: false, reason: 'not_json', preview, detail: 'frame is not a JSON object' };
  }
  const record = value as Record<string, unknown>;
  const type = typeof record.type === 'string' ? record.type : undefined;
  const jobId = typeof record.job_id === 'string' ? record.job_id : undefined;
  const token = record.fence_token;
  const fenceToken =
    Number.isSafeInteger(token) && (token as number) >= 0 ? (token as number) : undefined;
  const context = {
    preview,
    ...(type === undefined ? {} : { type }),
    ...(jobId ? { jobId } : {}),
    ...(fenceToken === undefined ? {} : { fenceToken }),
  };
  // Own keys only: a frame typed `constructor` or `__proto__` must not find Object.prototype's.
  const schema = type !== undefined && Object.hasOwn(table, type) ? table[type] : undefined;
  if (schema === undefined) {
    const detail = type === undefined ? 'frame has no type' : `unknown frame type '${type}'`;
    return { ok: false, reason: 'unknown_type', detail, ...context };
  }
  const parsed = schema.safeParse(record);
  if (!parsed.success) {
    return {
      ok: false,
      reason: 'invalid_fields',
      detail: describeIssues(parsed.error),
      ...context,
    };
  }
  return { ok: true, frame: parsed.data as F };
}

/** `job_id: expected string, received number; fence_token: ...` */
export function describeIssues(error: z.ZodError): string {
  return error.issues
    .map((issue) => {
      const path = issue.path.length > 0 ? issue.path.join('.') : '(frame)';
      return `${path}: ${issue.message}`;
    })
    .join('; ');
}

/** Parses what the queue sends to a worker. */
export function parseQueueFrame(text: string): FrameParse<QueueFrame> {
  return parseWith<QueueFrame>(queueFrameSchemas, text);
}

/** Parses what a worker sends to the queue (the local queue's side). */
export function parseWorkerFrame(text: string): FrameParse<WorkerFrame> {
  return parseWith<WorkerFrame>(workerFrameSchemas, text);
}
