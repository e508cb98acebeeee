/**
 * Every delay and limit of the worker's machines, defined once: the machines' `delays` and
 * context, the configuration schema and its fix texts, and the SDK's TSDoc read them from here.
 */
export const DEFAULTS = Object.freeze({
  /** CASOLA_CAPACITY: jobs run at once (as many more may wait for a slot). */
  capacity: 1,
  /** CASOLA_SHUTDOWN_GRACE_PERIOD: how long shutdown waits for running jobs, in ms. */
  gracePeriodMs: 5_000,
  /** CASOLA_HEARTBEAT_INTERVAL: the interval of `active` heartbeats, in ms. */
  heartbeatIntervalMs: 60_000,
  /** How often a running persisted job's lease is renewed, in ms (the queue's lease is 300 s). */
  renewIntervalMs: 30_000,
  /** Results larger than this, serialised, in bytes, go to `result_upload_url` when there is one. */
  offloadThresholdBytes: 256 * 1024,
  /** A large result's PUT to result_upload_url, request to response, in ms (protocol.md). */
  uploadTimeoutMs: 60_000,
  /** Settled jobs the gate remembers to recognise re-deliveries. */
  settledMemory: 1_000,
  /** VLLM_STARTUP_TIMEOUT: spawn, health and models check together, in ms. */
  startupTimeoutMs: 600_000,
  /**
   * VLLM_UNHEALTHY_TIMEOUT: how long running jobs wait for an unhealthy vLLM (/health failing)
   * before they are given up, in ms.
   */
  unhealthyTimeoutMs: 60_000,
  /** vLLM gets SIGTERM first, and SIGKILL after this long, in ms. */
  killGraceMs: 5_000,
  /** Backpressure: pause when vLLM's waiting requests exceed this. */
  pauseThreshold: 0,
  /** Backpressure: resume when vLLM's waiting requests fall to this or below. */
  resumeThreshold: 0,
} as const);
