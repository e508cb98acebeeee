/**
 * Options of the local queue, with the defaults of protocol.md ("The reference queue for
 * local testing"): port 8788 for the CLI, 300 s leases, 120 s transient timeout.
 */
import { type Logger, silentLogger } from '../../observability/logger.ts';

/** The port `casola-worker queue` listens on unless told otherwise: the reference queue's. */
export const CLI_QUEUE_PORT = 8788;

export type LocalQueueOptions = {
  /** Address to listen on. Default `127.0.0.1`. */
  host?: string;
  /** Port to listen on; 0 lets the OS choose. Default 0 (the CLI defaults to 8788). */
  port?: number;
  /** Lease of a persisted job, renewed by each `job_progress` with its token. Default 300 000 ms. */
  leaseMs?: number;
  /** How long a transient job (an HTTP client waiting) may take before a 504. Default 120 000 ms. */
  transientTimeoutMs?: number;
  /**
   * Payloads whose JSON is larger than this many bytes are offloaded: the job frame carries
   * `payload_url` and an empty inline payload. Default unset (only jobs created with
   * `offload: true` are offloaded).
   */
  offloadThresholdBytes?: number;
  /** Give every persisted job a `result_upload_url`, offloaded or not. Default false. */
  resultUploadUrls?: boolean;
  /** When set, a WebSocket upgrade without `Authorization: Bearer <token>` gets HTTP 401. Default unset. */
  requireToken?: string;
  /** Events kept by the event log; the oldest go first. Default 100 000 entries. */
  eventLogLimit?: number;
  /** Largest REST or upload body accepted. Default 64 MiB (bytes). */
  maxBodyBytes?: number;
  /** Where the queue logs. Default a silent logger. */
  logger?: Logger;
};

export type ResolvedQueueOptions = Required<
  Omit<LocalQueueOptions, 'offloadThresholdBytes' | 'requireToken'>
> &
  Pick<LocalQueueOptions, 'offloadThresholdBytes' | 'requireToken'>;

export const DEFAULT_LEASE_MS = 300_000;
export const DEFAULT_TRANSIENT_TIMEOUT_MS = 120_000;
export const DEFAULT_EVENT_LOG_LIMIT = 100_000;
export const DEFAULT_MAX_BODY_BYTES = 64 * 1024 * 1024;

export function resolveOptions(options: LocalQueueOptions): ResolvedQueueOptions {
  return {
    host: options.host ?? '127.0.0.1',
    port: options.port ?? 0,
    leaseMs: options.leaseMs ?? DEFAULT_LEASE_MS,
    transientTimeoutMs: options.transientTimeoutMs ?? DEFAULT_TRANSIENT_TIMEOUT_MS,
    offloadThresholdBytes: options.offloadThresholdBytes,
    resultUploadUrls: options.resultUploadUrls ?? false,
    requireToken: options.requireToken,
    eventLogLimit: options.eventLogLimit ?? DEFAULT_EVENT_LOG_LIMIT,
    maxBodyBytes: options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES,
    logger: options.logger ?? silentLogger(),
  };
}
