/**
 * `startLocalQueue`: wires the parts of the local queue together, listens, and hands tests
 * (and the CLI) one object to drive and observe it.
 */

import { httpBase, urlHost } from '../../net/http-base.ts';
import type { JobMode, JsonValue } from '../../protocol/index.ts';
import { EventLog } from './event-log.ts';
import { type QueueFaultInjector, QueueFaults } from './faults.ts';
import { HeldResponses } from './http.ts';
import { offloadUrls } from './job-frame.ts';
import { type JobObject, type JobOutcome, JobStore, toJobObject } from './jobs.ts';
import { ResultUploads } from './offload.ts';
import { type LocalQueueOptions, resolveOptions } from './options.ts';
import { Scheduler } from './scheduler.ts';
import { FrameSender } from './send.ts';
import { QueueServer } from './server.ts';
import { type WorkerInfo, WorkerRegistry } from './workers.ts';

export type CreateJobOptions = {
  payload: JsonValue;
  /** Default `persisted`, as POST /jobs creates. */
  mode?: JobMode;
  /** The config id the job is for; routes it to workers of that config when any is connected. */
  config_id?: string;
  /** Serve the payload behind `payload_url` (and give a persisted job a `result_upload_url`). Default false. */
  offload?: boolean;
};

export type CreatedJob = { jobId: string; outcome: Promise<JobOutcome> };

/** A job as tests see it: the job object of GET /jobs/{id} plus the queue's bookkeeping. */
export type LocalJob = JobObject & {
  mode: JobMode;
  /** The current (or last) holder's worker id. */
  worker_id: string | null;
  /** How many times it was dispatched. */
  attempts: number;
  offload: boolean;
};

export type LocalQueue = {
  /** `http://127.0.0.1:PORT` */
  readonly httpUrl: string;
  /** `ws://127.0.0.1:PORT`; a worker appends `/ws`. */
  readonly wsUrl: string;
  readonly port: number;
  readonly events: EventLog;
  readonly faults: QueueFaultInjector;
  /** The connected workers. */
  workers(): WorkerInfo[];
  getJob(id: string): LocalJob | undefined;
  /** POST /jobs in process; also creates transient jobs. */
  createJob(options: CreateJobOptions): CreatedJob;
  /** Closes every socket and the server, and answers whatever is still waiting. Idempotent. */
  close(): Promise<void>;
};

export async function startLocalQueue(options: LocalQueueOptions = {}): Promise<LocalQueue> {
  const resolved = resolveOptions(options);
  const { logger } = resolved;
  const events = new EventLog(resolved.eventLogLimit);
  const jobs = new JobStore();
  const workers = new WorkerRegistry();
  const uploads = new ResultUploads();
  const held = new HeldResponses();
  const base = { httpUrl: '' };
  const faults = new QueueFaults({
    events,
    workers,
    jobs,
    revoke: (job, reason, redispatch) => scheduler.revoke(job, reason, redispatch),
  });
  const sender = new FrameSender(events, faults);
  const urls = offloadUrls(() => base.httpUrl);
  const scheduler = new Scheduler({
    jobs,
    workers,
    sender,
    events,
    urls,
    options: resolved,
    logger,
  });
  const server = new QueueServer({
    requireToken: resolved.requireToken,
    events,
    logger,
    rest: { scheduler, jobs, workers, maxBodyBytes: resolved.maxBodyBytes },
    offload: { jobs, uploads, faults, events, held, maxBodyBytes: resolved.maxBodyBytes },
    inbound: { jobs, scheduler, sender, events, uploads, workers, pings: faults, logger },
  });
  const port = await server.listen(resolved.host, resolved.port);
  base.httpUrl = httpBase(resolved.host, port);
  logger.info({ http_url: base.httpUrl }, 'local queue listening');

  let closing: Promise<void> | undefined;
  const close = async () => {
    scheduler.close();
    sender.cancelDelayed();
    held.releaseAll();
    // REST handlers answer their settled jobs in microtasks; let them write before closing.
    await new Promise((resolve) => setImmediate(resolve));
    await server.close();
    logger.info('local queue closed');
  };

  return {
    httpUrl: base.httpUrl,
    wsUrl: `ws://${urlHost(resolved.host)}:${port}`,
    port,
    events,
    faults,
    workers: () => workers.info(),
    getJob: (id) => {
      const job = jobs.get(id);
      if (job === undefined) return undefined;
      const { mode, attempts, offload } = job;
      return { ...toJobObject(job), mode, worker_id: job.holder ?? null, attempts, offload };
    },
    createJob: ({ payload, mode = 'persisted', config_id, offload }) => {
      const job = scheduler.submit({ payload, mode, configId: config_id, offload });
      return { jobId: job.id, outcome: job.outcome };
    },
    close: () => {
      closing ??= close();
      return closing;
    },
  };
}
