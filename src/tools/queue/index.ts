/**
 * The local Casola queue: protocol.md's WebSocket endpoint and REST surface for many
 * workers, with leases, offload and fault injection. Every worker test runs against it.
 */
export { type EventLog, eventIs, type WaitForOptions } from './event-log.ts';
export type * from './events.ts';
export type { QueueFaultInjector, RevokeOptions } from './faults.ts';
export type { FailureReason, JobObject, JobOutcome, JobStatus } from './jobs.ts';
export {
  type CreatedJob,
  type CreateJobOptions,
  type LocalJob,
  type LocalQueue,
  startLocalQueue,
} from './local-queue.ts';
export type { LocalQueueOptions } from './options.ts';
export type { WorkerInfo } from './workers.ts';
