/**
 * Heartbeats to the platform API (`POST $CASOLA_API_URL/api/heartbeats`). They coalesce:
 * at most one request is in flight, and while it is, only the newest pending heartbeat is
 * kept, so a slow API never builds a backlog of stale statuses. A failed heartbeat is
 * logged, never thrown: the platform learns from the next one.
 */
import { postJson } from '../http/post-json.ts';
import { withPath } from '../net/http-base.ts';
import type { Logger } from './logger.ts';
import { redactUrl } from './redact.ts';

/** What the worker tells the platform about itself. */
export type HeartbeatStatus =
  /** Starting up: checking the GPU, starting vLLM. */
  | 'starting'
  /** Connected to the queue and vLLM healthy. */
  | 'active'
  /** A retryable failure: the platform may try again, here or elsewhere. */
  | 'error'
  /** The host is bad (GPU check, CUDA driver): do not retry here. */
  | 'fatal'
  /** Start-up failed without a classified error. */
  | 'failed'
  /** Shutting down. */
  | 'stopping';

export type HeartbeatOptions = {
  /** The platform API's base URL. Heartbeats are off unless this and `token` are set. */
  apiUrl?: string | undefined;
  /** Bearer token. Heartbeats are off unless this and `apiUrl` are set. */
  token?: string | undefined;
  instanceId: string;
  queueId: string;
  logger: Logger;
  /** Give up on one heartbeat after this many milliseconds. Default 10 000 ms. */
  timeoutMs?: number;
};

export type HeartbeatSender = {
  /** Whether heartbeats are sent at all (API URL and token both set). */
  readonly enabled: boolean;
  /**
   * Sends a heartbeat, or replaces the pending one while another is in flight. Resolves
   * once this status, or a newer one that replaced it, was sent or failed: true when the API
   * accepted it (or heartbeats are off), false when not. Never rejects.
   */
  send(status: HeartbeatStatus, errorMessage?: string): Promise<boolean>;
};

type HeartbeatBody = {
  instance_id: string;
  queue_id: string;
  status: HeartbeatStatus;
  error_message?: string;
};

/** The next heartbeat to send, and everyone waiting for it (or for one it replaced). */
type Pending = { body: HeartbeatBody; waiters: Array<(delivered: boolean) => void> };

export function createHeartbeatSender(options: HeartbeatOptions): HeartbeatSender {
  const { apiUrl, token, logger, timeoutMs = 10_000 } = options;
  if (!apiUrl || !token) {
    return { enabled: false, send: async () => true };
  }
  const url = withPath(apiUrl, '/api/heartbeats');
  let pending: Pending | undefined;
  let sending = false;

  async function deliver(body: HeartbeatBody): Promise<boolean> {
    const result = await postJson({ url, token, body, timeoutMs });
    if (result.ok) return true;
    logger.warn(
      { url: redactUrl(url), status: result.status, reason: result.reason, heartbeat: body.status },
      `heartbeat '${body.status}' not delivered: ${result.reason}`,
    );
    return false;
  }

  async function drain(): Promise<void> {
    sending = true;
    while (pending !== undefined) {
      const next = pending;
      pending = undefined;
      const delivered = await deliver(next.body);
      for (const resolve of next.waiters) resolve(delivered);
    }
    sending = false;
  }

  function send(status: HeartbeatStatus, errorMessage?: string): Promise<boolean> {
    const body: HeartbeatBody = {
      instance_id: options.instanceId,
      queue_id: options.queueId,
      status,
    };
    if (errorMessage !== undefined) body.error_message = errorMessage;
    return new Promise((resolve) => {
      if (pending === undefined) pending = { body, waiters: [resolve] };
      else {
        logger.debug({ replaced: pending.body.status, by: status }, 'heartbeat coalesced');
        pending.body = body;
        pending.waiters.push(resolve);
      }
      if (!sending) void drain();
    });
  }

  return { enabled: true, send };
}
