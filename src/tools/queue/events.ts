/**
 * What the local queue saw and did, as typed events. Tests read these instead of sleeping;
 * the chaos tests account for every job from them.
 */
import type { IncomingHttpHeaders } from 'node:http';
import type { JobMode, QueueFrame, WorkerFrame } from '../../protocol/index.ts';

/** Why an outcome (result, result ref or error) for a job was refused. */
export type OutcomeRejection =
  | 'unknown_job'
  | 'not_registered'
  | 'stale_token'
  | 'already_settled'
  | 'not_holder'
  | 'not_running'
  | 'no_upload';

/** The faults tests can inject (see `QueueFaults`). */
export type FaultName =
  | 'drop_socket'
  | 'stop_answering_pings'
  | 'answer_pings'
  | 'stall_socket'
  | 'resume_socket'
  | 'delay_next_frames'
  | 'duplicate_next_frames'
  | 'send_raw'
  | 'revoke_job'
  | 'fail_next_payload_get'
  | 'hang_next_payload_get'
  | 'fail_next_result_put'
  | 'hang_next_result_put';

type Conn = { connectionId: number; workerId: string | undefined };

export type QueueEventBody =
  | ({ kind: 'connection_opened'; headers: IncomingHttpHeaders } & Conn)
  | { kind: 'connection_refused'; status: number; path: string; headers: IncomingHttpHeaders }
  | ({ kind: 'connection_closed'; code: number; reason: string } & Conn)
  | ({ kind: 'frame_in'; frame: WorkerFrame; raw: string } & Conn)
  | ({ kind: 'frame_rejected'; reason: string; detail: string; raw: string } & Conn)
  | ({ kind: 'frame_out'; frame: QueueFrame; raw: string } & Conn)
  | ({ kind: 'ping'; answered: boolean } & Conn)
  | ({ kind: 'worker_registered'; configId: string; capacity: number } & Conn)
  | { kind: 'http_request'; method: string; path: string }
  | { kind: 'http_response'; method: string; path: string; status: number }
  | { kind: 'job_created'; jobId: string; mode: JobMode; configId: string | null }
  | {
      kind: 'job_dispatched';
      jobId: string;
      workerId: string;
      fenceToken: number;
      attempt: number;
    }
  | { kind: 'job_requeued'; jobId: string; fenceToken: number; reason: string }
  | {
      kind: 'outcome_accepted';
      jobId: string;
      workerId: string;
      fenceToken: number;
      status: 'completed' | 'failed';
      via: 'job_result' | 'job_result_ref' | 'job_error';
    }
  | {
      kind: 'outcome_rejected';
      jobId: string;
      workerId: string | undefined;
      fenceToken: number;
      currentToken: number | undefined;
      reason: OutcomeRejection;
      via: 'job_result' | 'job_result_ref' | 'job_error' | 'job_progress';
    }
  | { kind: 'job_timed_out'; jobId: string }
  | { kind: 'lease_renewed'; jobId: string; workerId: string; fenceToken: number }
  | { kind: 'lease_expired'; jobId: string; workerId: string | undefined; fenceToken: number }
  | {
      kind: 'job_revoked';
      jobId: string;
      workerId: string | undefined;
      reason: string;
      redispatch: boolean;
    }
  | { kind: 'offload_get'; jobId: string; status: number | 'hang' }
  | {
      kind: 'offload_put';
      jobId: string;
      fenceToken: number;
      status: number | 'hang';
      bytes: number;
    }
  | { kind: 'fault'; fault: FaultName; workerId?: string; jobId?: string; detail?: string };

/** An event as logged: its body plus a sequence number and the time (epoch ms). */
export type QueueEvent = QueueEventBody & { seq: number; time: number };

export type QueueEventKind = QueueEvent['kind'];

/** The event of one kind, e.g. `EventOf<'frame_out'>`. */
export type EventOf<K extends QueueEventKind> = Extract<QueueEvent, { kind: K }>;
