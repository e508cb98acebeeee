/**
 * What every REST route shares: bodies validated with zod (bad input is a 400 naming the
 * fields, never a crash), and a transient job run to its answer with the reference queue's
 * status codes (503 nobody can take it, 504 timed out, 502 the worker's error), and 501 when
 * the worker has no such task, up front once every candidate worker has said so.
 */

import type { z } from 'zod';
import { type HttpReply, type HttpRequest, readBody } from '../../net/http-server.ts';
import { describeIssues, type JsonValue } from '../../protocol/index.ts';
import { sendDetail } from './http.ts';
import type { JobStore } from './jobs.ts';
import type { Scheduler } from './scheduler.ts';
import { saysUnsupportedTask, taskOf } from './task-support.ts';
import type { WorkerRegistry } from './workers.ts';

export type RestDeps = {
  scheduler: Scheduler;
  jobs: JobStore;
  workers: WorkerRegistry;
  maxBodyBytes: number;
};

/** A route's answer when it is not the happy path. */
export type RestFailure = { ok: false; status: number; detail: string };
export type RestResult<T> = { ok: true; value: T } | RestFailure;

export function fail(status: number, detail: string): RestFailure {
  return { ok: false, status, detail };
}

/** What answers one REST route. */
export type Handler = (deps: RestDeps, request: HttpRequest, reply: HttpReply) => Promise<void>;

/**
 * A route whose JSON body `schema` checks: `handle` gets the value; a body that is not JSON
 * or fails the schema answers 400 naming the fields, one past `maxBodyBytes` 413.
 */
export function jsonRoute<S extends z.ZodType>(
  schema: S,
  handle: (deps: RestDeps, body: z.output<S>, reply: HttpReply) => Promise<void>,
): Handler {
  return async (deps, request, reply) => {
    const body = await readJson(deps, request, schema);
    if (!body.ok) return answerFailure(reply, body);
    await handle(deps, body.value, reply);
  };
}

/** Reads and validates a JSON body. */
async function readJson<S extends z.ZodType>(
  deps: RestDeps,
  request: HttpRequest,
  schema: S,
): Promise<RestResult<z.output<S>>> {
  const read = await readBody(request.raw, deps.maxBodyBytes);
  if (!read.ok) return fail(read.status, 'the request body could not be read or is too large');
  let value: unknown;
  try {
    value = JSON.parse(read.body.toString('utf8'));
  } catch {
    return fail(400, 'the request body is not JSON');
  }
  return validate(schema, value, 'request body');
}

export function validate<S extends z.ZodType>(
  schema: S,
  value: unknown,
  what: string,
): RestResult<z.output<S>> {
  const parsed = schema.safeParse(value);
  if (parsed.success) return { ok: true, value: parsed.data };
  return fail(400, `invalid ${what}: ${describeIssues(parsed.error)}`);
}

/** Runs a transient job and validates the worker's result with `resultSchema`. */
export async function runTransient<S extends z.ZodType>(
  deps: RestDeps,
  payload: JsonValue,
  routeKey: string | undefined,
  resultSchema: S,
): Promise<RestResult<z.output<S>>> {
  const task = taskOf(payload) ?? 'this task';
  if (deps.workers.noneServes(task, routeKey)) {
    return fail(501, `no connected worker serves ${task}: each one said Unsupported task`);
  }
  const job = deps.scheduler.submit({ payload, mode: 'transient', routeKey });
  const outcome = await job.outcome;
  if (outcome.status === 'completed') {
    const checked = validate(resultSchema, outcome.result, 'worker result');
    return checked.ok ? checked : fail(502, checked.detail);
  }
  switch (outcome.reason) {
    case 'no_worker':
      return fail(503, 'no worker connected can take this job');
    case 'closed':
      return fail(503, 'the local queue is closing');
    case 'timeout':
      return fail(504, `the worker did not answer in time: ${outcome.error}`);
    default:
      return saysUnsupportedTask(outcome.error)
        ? fail(501, `no connected worker serves ${task}: ${outcome.error}`)
        : fail(502, outcome.error);
  }
}

export function answerFailure(reply: HttpReply, failure: RestFailure): void {
  sendDetail(reply, failure.status, failure.detail);
}

/** The fields that are set, so that payloads carry exactly what the request gave. */
export function defined<T extends Record<string, unknown>>(fields: T): Partial<T> {
  return Object.fromEntries(
    Object.entries(fields).filter(([, value]) => value !== undefined),
  ) as Partial<T>;
}
