/**
 * Jobs by id, the pending backlog in arrival order, and the queue's fence-token counter.
 * Settled jobs stay readable by id but are never scanned again.
 */
import { randomUUID } from 'node:crypto';
import type { JobMode, JsonValue } from '../../protocol/index.ts';

/** pending: waiting for a worker with room · running: held by a worker · completed / failed: settled. */
export type JobStatus = 'pending' | 'running' | 'completed' | 'failed';

/** Why a job failed: the worker said so, it was revoked, it timed out, nobody could take it, or the queue closed. */
export type FailureReason = 'worker_error' | 'revoked' | 'timeout' | 'no_worker' | 'closed';

export type JobOutcome =
  | { status: 'completed'; result: JsonValue }
  | { status: 'failed'; reason: FailureReason; error: string };

export type QueueJob = {
  readonly id: string;
  readonly mode: JobMode;
  /** The config id asked for, else that of the first worker that took the job. */
  configId: string | null;
  /** Compared with connected workers' config ids: a REST `model` or a POST /jobs `config_id`. */
  readonly routeKey: string | undefined;
  /** Only workers of config id `routeKey` may take it (a `config_id` was asked for); else they are preferred. */
  readonly routeOnly: boolean;
  status: JobStatus;
  readonly payload: JsonValue;
  /** Whether the payload goes behind `payload_url` (and results may be uploaded). */
  readonly offload: boolean;
  result: JsonValue | null;
  error: string | null;
  /** Persisted: 0 until dispatched, then a new, higher one at every dispatch or requeue. Transient: 0. */
  fenceToken: number;
  /** Unix seconds, with fractions. */
  readonly createdAt: number;
  /** The worker id of the current (or last) holder. */
  holder: string | undefined;
  /** How many times it was dispatched. */
  attempts: number;
  readonly outcome: Promise<JobOutcome>;
};

/** The job object of GET /jobs/{id}, exactly as protocol.md gives it. */
export type JobObject = {
  id: string;
  config_id: string | null;
  status: JobStatus;
  payload: JsonValue;
  result: JsonValue | null;
  error: string | null;
  fence_token: number;
  created_at: number;
};

export type NewJob = {
  payload: JsonValue;
  mode: JobMode;
  configId?: string | undefined;
  routeKey?: string | undefined;
  offload: boolean;
};

export class JobStore {
  readonly #jobs = new Map<string, QueueJob>();
  readonly #pending = new Map<string, QueueJob>();
  readonly #settle = new Map<string, (outcome: JobOutcome) => void>();
  #fence = 0;

  create(input: NewJob): QueueJob {
    const { promise, resolve } = Promise.withResolvers<JobOutcome>();
    const job: QueueJob = {
      id: randomUUID(),
      mode: input.mode,
      configId: input.configId ?? null,
      routeKey: input.routeKey ?? input.configId,
      routeOnly: input.configId !== undefined,
      status: 'pending',
      payload: input.payload,
      offload: input.offload,
      result: null,
      error: null,
      fenceToken: 0,
      createdAt: Date.now() / 1000,
      holder: undefined,
      attempts: 0,
      outcome: promise,
    };
    this.#jobs.set(job.id, job);
    this.#pending.set(job.id, job);
    this.#settle.set(job.id, resolve);
    return job;
  }

  get(id: string): QueueJob | undefined {
    return this.#jobs.get(id);
  }

  /** The backlog, oldest first. */
  pending(): IterableIterator<QueueJob> {
    return this.#pending.values();
  }

  get pendingCount(): number {
    return this.#pending.size;
  }

  /** Hands a pending job to a worker; a persisted one under a new fence token. */
  start(job: QueueJob, workerId: string, workerConfigId: string): void {
    this.#pending.delete(job.id);
    job.status = 'running';
    job.holder = workerId;
    job.configId ??= workerConfigId;
    if (job.mode === 'persisted') job.fenceToken = this.#nextToken();
    job.attempts += 1;
  }

  /** Puts a running job back in the backlog; a persisted job's old token is stale from now on. */
  requeue(job: QueueJob): void {
    job.status = 'pending';
    job.holder = undefined;
    if (job.mode === 'persisted') job.fenceToken = this.#nextToken();
    this.#pending.set(job.id, job);
  }

  settle(job: QueueJob, outcome: JobOutcome): void {
    this.#pending.delete(job.id);
    if (outcome.status === 'completed') {
      job.status = 'completed';
      job.result = outcome.result;
    } else {
      job.status = 'failed';
      job.error = outcome.error;
    }
    this.#settle.get(job.id)?.(outcome);
    this.#settle.delete(job.id);
  }

  /** Jobs not yet settled (used once, at close). */
  unsettled(): QueueJob[] {
    return [...this.#settle.keys()].map((id) => this.#jobs.get(id)!);
  }

  #nextToken(): number {
    this.#fence += 1;
    return this.#fence;
  }
}

export function toJobObject(job: QueueJob): JobObject {
  return {
    id: job.id,
    config_id: job.configId,
    status: job.status,
    payload: job.payload,
    result: job.result,
    error: job.error,
    fence_token: job.fenceToken,
    created_at: job.createdAt,
  };
}
