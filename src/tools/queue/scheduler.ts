/**
 * Where jobs move: created into the backlog, dispatched to the least-loaded eligible
 * worker, settled, revoked, requeued when a lease expires, timed out when transient.
 */
import type { Logger } from '../../observability/logger.ts';
import type { JobMode, JsonValue } from '../../protocol/index.ts';
import type { EventLog } from './event-log.ts';
import { buildJobFrame, type OffloadUrls } from './job-frame.ts';
import type { JobOutcome, JobStore, QueueJob } from './jobs.ts';
import { LeaseTimers } from './leases.ts';
import type { ResolvedQueueOptions } from './options.ts';
import type { FrameSender } from './send.ts';
import type { WorkerRecord, WorkerRegistry } from './workers.ts';

export type SchedulerDeps = {
  jobs: JobStore;
  workers: WorkerRegistry;
  sender: FrameSender;
  events: EventLog;
  urls: OffloadUrls;
  options: ResolvedQueueOptions;
  logger: Logger;
};

export type JobRequest = {
  payload: JsonValue;
  mode: JobMode;
  /** The config id the job is for (POST /jobs); also its routing key. */
  configId?: string | undefined;
  /** Routing key when it is not a config id (a REST request's `model`). */
  routeKey?: string | undefined;
  /** Offload this job's payload whatever its size. */
  offload?: boolean | undefined;
};

/** open: jobs flow · closed: nothing is dispatched or timed any more. */
type SchedulerState = 'open' | 'closed';

export class Scheduler {
  readonly #deps: SchedulerDeps;
  readonly #leases: LeaseTimers;
  readonly #transientTimers = new Map<string, NodeJS.Timeout>();
  #state: SchedulerState = 'open';

  constructor(deps: SchedulerDeps) {
    this.#deps = deps;
    this.#leases = new LeaseTimers(deps.options.leaseMs, (jobId, token) =>
      this.#expire(jobId, token),
    );
  }

  submit(request: JobRequest): QueueJob {
    const { jobs, events, workers, options } = this.#deps;
    const job = jobs.create({
      payload: request.payload,
      mode: request.mode,
      configId: request.configId,
      routeKey: request.routeKey,
      offload: request.offload === true || exceeds(request.payload, options.offloadThresholdBytes),
    });
    events.record({ kind: 'job_created', jobId: job.id, mode: job.mode, configId: job.configId });
    if (job.mode === 'transient') {
      if (workers.candidates(job.routeKey, job.routeOnly).length === 0) {
        this.#finish(job, { status: 'failed', reason: 'no_worker', error: 'no worker connected' });
        return job;
      }
      const timer = setTimeout(() => this.#timeOut(job), options.transientTimeoutMs);
      this.#transientTimers.set(job.id, timer);
    }
    this.pump();
    return job;
  }

  /** Dispatches the backlog, oldest first, while any worker has room. */
  pump(): void {
    if (this.#state === 'closed') return;
    const { jobs, workers } = this.#deps;
    // A route that found no room once in this pass finds none again.
    const blocked = new Set<string>();
    for (const job of jobs.pending()) {
      if (!workers.anyRoom()) return;
      const route = `${job.routeOnly}:${job.routeKey}`;
      if (blocked.has(route)) continue;
      const worker = workers.pick(job.routeKey, job.routeOnly);
      if (worker === undefined) blocked.add(route);
      else this.#dispatch(job, worker);
    }
  }

  /** Accepts the outcome of a running job: frees its worker's slot and dispatches more. */
  settle(job: QueueJob, outcome: JobOutcome): void {
    this.#release(job);
    this.#finish(job, outcome);
    this.pump();
  }

  /** Renews a running persisted job's lease; false when it holds none. */
  renew(job: QueueJob): boolean {
    return this.#leases.renew(job.id);
  }

  /** Takes an unsettled job back: tells its holder, then requeues it or fails it. */
  revoke(job: QueueJob, reason: string, redispatch: boolean): void {
    const { workers, sender, events, jobs } = this.#deps;
    const holder = job.status === 'running' ? job.holder : undefined;
    const connection = holder === undefined ? undefined : workers.get(holder)?.connection;
    if (connection !== undefined) {
      sender.send(connection, { type: 'job_revoked', job_id: job.id, reason });
    }
    this.#release(job);
    events.record({ kind: 'job_revoked', jobId: job.id, workerId: holder, reason, redispatch });
    if (redispatch) {
      jobs.requeue(job);
      events.record({ kind: 'job_requeued', jobId: job.id, fenceToken: job.fenceToken, reason });
    } else {
      this.#finish(job, { status: 'failed', reason: 'revoked', error: `revoked: ${reason}` });
    }
    this.pump();
  }

  /** Stops every timer and settles every unsettled job as failed (`closed`). */
  close(): void {
    this.#state = 'closed';
    this.#leases.stopAll();
    for (const job of this.#deps.jobs.unsettled()) {
      this.#finish(job, { status: 'failed', reason: 'closed', error: 'the local queue closed' });
    }
  }

  #dispatch(job: QueueJob, worker: WorkerRecord): void {
    const { jobs, workers, events, sender, urls, options } = this.#deps;
    jobs.start(job, worker.id, worker.configId);
    workers.markDispatched(worker, job.id);
    events.record({
      kind: 'job_dispatched',
      jobId: job.id,
      workerId: worker.id,
      fenceToken: job.fenceToken,
      attempt: job.attempts,
    });
    try {
      sender.send(worker.connection!, buildJobFrame(job, urls, options.resultUploadUrls));
    } catch (error) {
      // A payload no frame can carry (nested past what JSON.stringify recurses): the job
      // fails rather than holding the worker's slot with no lease to ever free it.
      this.#release(job);
      const message = `the job could not be sent to a worker: ${String(error)}`;
      this.#finish(job, { status: 'failed', reason: 'worker_error', error: message });
      return;
    }
    if (job.mode === 'persisted') this.#leases.start(job.id, job.fenceToken);
  }

  #expire(jobId: string, fenceToken: number): void {
    const job = this.#deps.jobs.get(jobId);
    if (job === undefined || job.status !== 'running' || job.fenceToken !== fenceToken) return;
    this.#deps.events.record({ kind: 'lease_expired', jobId, workerId: job.holder, fenceToken });
    this.#deps.logger.warn({ job_id: jobId, fence_token: fenceToken }, 'lease expired');
    this.revoke(job, 'lease expired', true);
  }

  #timeOut(job: QueueJob): void {
    this.#transientTimers.delete(job.id);
    if (job.status === 'completed' || job.status === 'failed') return;
    this.#release(job);
    this.#deps.events.record({ kind: 'job_timed_out', jobId: job.id });
    const error = `no result within ${this.#deps.options.transientTimeoutMs} ms`;
    this.#finish(job, { status: 'failed', reason: 'timeout', error });
    this.pump();
  }

  /** Frees the holder's slot and the job's lease; the job keeps its status. */
  #release(job: QueueJob): void {
    if (job.holder !== undefined) this.#deps.workers.get(job.holder)?.running.delete(job.id);
    this.#leases.stop(job.id);
  }

  #finish(job: QueueJob, outcome: JobOutcome): void {
    clearTimeout(this.#transientTimers.get(job.id));
    this.#transientTimers.delete(job.id);
    this.#deps.jobs.settle(job, outcome);
  }
}

function exceeds(payload: JsonValue, thresholdBytes: number | undefined): boolean {
  return (
    thresholdBytes !== undefined && Buffer.byteLength(JSON.stringify(payload)) > thresholdBytes
  );
}
