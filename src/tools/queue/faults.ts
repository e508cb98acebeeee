/**
 * Fault injection for tests: the ways a real queue, network or object store misbehaves,
 * each one recorded in the event log when injected.
 */

import { WebSocket } from 'ws';
import { QueueFaultError } from '../../errors.ts';
import type { EventLog } from './event-log.ts';
import type { FaultName } from './events.ts';
import type { JobStore, QueueJob } from './jobs.ts';
import type { OffloadFault, OffloadFaults } from './offload.ts';
import type { OutboundFault, OutboundFaults } from './send.ts';
import type { QueueConnection, WorkerRegistry } from './workers.ts';

export type RevokeOptions = {
  /** Sent in the `job_revoked` frame, and in the job's error when it is not redispatched. */
  reason: string;
  /** Put the job back in the backlog under a higher fence token. Default false: fail it. */
  redispatch?: boolean;
};

/** The fault-injection API tests use (`queue.faults`). */
export type QueueFaultInjector = Pick<
  QueueFaults,
  | 'dropSocket'
  | 'stopAnsweringPings'
  | 'answerPings'
  | 'stallSocket'
  | 'resumeSocket'
  | 'delayNextFrames'
  | 'duplicateNextFrames'
  | 'sendRaw'
  | 'revokeJob'
  | 'failNextPayloadGet'
  | 'hangNextPayloadGet'
  | 'failNextResultPut'
  | 'hangNextResultPut'
>;

export type FaultDeps = {
  events: EventLog;
  workers: WorkerRegistry;
  jobs: JobStore;
  /** The scheduler's revoke (a function: the scheduler is built after the faults). */
  revoke: (job: QueueJob, reason: string, redispatch: boolean) => void;
};

type FrameFaults = { delays: number; delayMs: number; duplicates: number };

export class QueueFaults implements OutboundFaults, OffloadFaults {
  readonly #deps: FaultDeps;
  readonly #silent = new Set<string>();
  readonly #stalled = new Map<string, WebSocket>();
  readonly #frames = new Map<string, FrameFaults>();
  readonly #payloadGets: OffloadFault[] = [];
  readonly #resultPuts: OffloadFault[] = [];

  constructor(deps: FaultDeps) {
    this.#deps = deps;
  }

  /** Destroys the worker's TCP connection without a close frame. */
  dropSocket(workerId: string): void {
    const connection = this.#connection('drop_socket', workerId);
    this.#record('drop_socket', { workerId });
    connection.ws.terminate();
  }

  /** From now on, pings from this worker get no pong. */
  stopAnsweringPings(workerId: string): void {
    this.#silent.add(workerId);
    this.#record('stop_answering_pings', { workerId });
  }

  answerPings(workerId: string): void {
    this.#silent.delete(workerId);
    this.#record('answer_pings', { workerId });
  }

  /**
   * The queue stops reading this worker's socket, as a stalled queue or link would: the
   * worker's frames, pings and close frame wait, unanswered, until `resumeSocket`. Frames to
   * the worker still go out.
   */
  stallSocket(workerId: string): void {
    const connection = this.#connection('stall_socket', workerId);
    this.#record('stall_socket', { workerId });
    connection.ws.pause();
    this.#stalled.set(workerId, connection.ws);
  }

  /** Reads the stalled socket again, even when the worker left meanwhile: what waited is handled now. */
  resumeSocket(workerId: string): void {
    const ws = this.#stalled.get(workerId);
    if (ws === undefined) {
      throw new QueueFaultError('resume_socket', `worker ${workerId} has no stalled socket`);
    }
    this.#stalled.delete(workerId);
    this.#record('resume_socket', { workerId });
    ws.resume();
  }

  /** Holds each of the next `count` frames to this worker back by `ms`. */
  delayNextFrames(workerId: string, count: number, ms: number): void {
    const faults = this.#frameFaults(workerId);
    faults.delays = count;
    faults.delayMs = ms;
    this.#record('delay_next_frames', { workerId, detail: `${count} frames by ${ms} ms` });
  }

  /** Sends each of the next `count` frames to this worker twice. */
  duplicateNextFrames(workerId: string, count: number): void {
    this.#frameFaults(workerId).duplicates = count;
    this.#record('duplicate_next_frames', { workerId, detail: `${count} frames` });
  }

  /**
   * Sends anything at all: a string as a text frame, a Buffer as a binary one. Logged once
   * sent, in full (the model walks read dispatches from it); a socket no longer open sends
   * nothing and logs that.
   */
  sendRaw(workerId: string, data: string | Buffer): void {
    const connection = this.#connection('send_raw', workerId);
    if (connection.ws.readyState !== WebSocket.OPEN) {
      this.#record('send_raw', { workerId, detail: 'not sent: the socket is not open' });
      return;
    }
    connection.ws.send(data);
    this.#record('send_raw', { workerId, detail: data.toString() });
  }

  /** Sends `job_revoked` to the holder, then requeues the job or fails it. */
  revokeJob(jobId: string, options: RevokeOptions): void {
    const job = this.#deps.jobs.get(jobId);
    if (job === undefined || job.status === 'completed' || job.status === 'failed') {
      throw new QueueFaultError('revoke_job', `job ${jobId} is unknown or already settled`);
    }
    const redispatch = options.redispatch ?? false;
    this.#record('revoke_job', { jobId, detail: `${options.reason}; redispatch=${redispatch}` });
    this.#deps.revoke(job, options.reason, redispatch);
  }

  failNextPayloadGet(): void {
    this.#payloadGets.push('fail');
    this.#record('fail_next_payload_get', {});
  }

  hangNextPayloadGet(): void {
    this.#payloadGets.push('hang');
    this.#record('hang_next_payload_get', {});
  }

  failNextResultPut(): void {
    this.#resultPuts.push('fail');
    this.#record('fail_next_result_put', {});
  }

  hangNextResultPut(): void {
    this.#resultPuts.push('hang');
    this.#record('hang_next_result_put', {});
  }

  answersPings(workerId: string | undefined): boolean {
    return workerId === undefined || !this.#silent.has(workerId);
  }

  nextOutbound(workerId: string | undefined): OutboundFault {
    const faults = workerId === undefined ? undefined : this.#frames.get(workerId);
    if (faults === undefined) return { delayMs: 0, copies: 1 };
    const fault = {
      delayMs: faults.delays > 0 ? faults.delayMs : 0,
      copies: faults.duplicates > 0 ? 2 : 1,
    };
    faults.delays = Math.max(0, faults.delays - 1);
    faults.duplicates = Math.max(0, faults.duplicates - 1);
    if (faults.delays === 0 && faults.duplicates === 0) this.#frames.delete(workerId!);
    return fault;
  }

  nextPayloadGet(): OffloadFault | undefined {
    return this.#payloadGets.shift();
  }

  nextResultPut(): OffloadFault | undefined {
    return this.#resultPuts.shift();
  }

  #frameFaults(workerId: string): FrameFaults {
    const faults = this.#frames.get(workerId) ?? { delays: 0, delayMs: 0, duplicates: 0 };
    this.#frames.set(workerId, faults);
    return faults;
  }

  #connection(fault: FaultName, workerId: string): QueueConnection {
    const connection = this.#deps.workers.get(workerId)?.connection;
    if (connection === undefined) {
      throw new QueueFaultError(fault, `worker ${workerId} is not connected`);
    }
    return connection;
  }

  #record(fault: FaultName, details: { workerId?: string; jobId?: string; detail?: string }): void {
    this.#deps.events.record({ kind: 'fault', fault, ...details });
  }
}
