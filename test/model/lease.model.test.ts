/**
 * The lease, walked against the lease a real worker spawns for a persisted job of the local
 * queue (the driver: lease.driver.ts). The model has one job; the worker runs with capacity 1.
 */
import type { AnyMachineSnapshot, EventObject } from 'xstate';
import { leaseMachine, OFFLOAD_THRESHOLD_BYTES } from '../../machines/lease.machine.ts';
import type { JobFrame } from '../../machines/types.ts';
import { ENGINE_ERROR, LeaseDriver, SMALL, UPLOAD_ERROR } from './lease.driver.ts';
import { modelSuite } from './suite.ts';

/** The model's job; the real one is the queue's (its id, token and upload URL differ). */
const MODEL_JOB: JobFrame = {
  type: 'job',
  job_id: 'j',
  mode: 'persisted',
  config_id: 'cfg',
  fence_token: 1,
  payload: {},
  result_upload_url: 'http://queue/offload/result/j/1',
};

const succeeded = (result: unknown, size: number) => ({
  type: 'WORK_SUCCEEDED',
  jobId: 'j',
  result,
  size,
});
const SUCCEEDED_SMALL = succeeded(SMALL, JSON.stringify(SMALL).length);
const SUCCEEDED_LARGE = succeeded('large', OFFLOAD_THRESHOLD_BYTES + 1_024);
const PROGRESS = { type: 'WORK_PROGRESS', jobId: 'j', progress: 0.5, message: 'halfway' };
const RENEW = { type: 'RENEW_DUE' };
const REVOKED = { type: 'JOB_REVOKED', reason: 'cancelled' };
const ENGINE_FAILED = { type: 'JOB_FAILED', message: ENGINE_ERROR };

const EVENTS = [
  SUCCEEDED_SMALL,
  SUCCEEDED_LARGE,
  { type: 'WORK_FAILED', jobId: 'j', message: 'the handler failed' },
  PROGRESS,
  REVOKED,
  ENGINE_FAILED,
];

/** The handler reports progress only while it runs; renewals are bounded to two. */
function canCause(snapshot: AnyMachineSnapshot, event: EventObject): boolean {
  if (snapshot.hasTag('ended')) return false;
  if (event.type === 'WORK_PROGRESS') return snapshot.matches({ held: 'working' });
  if (event.type === 'RENEW_DUE') return snapshot.context.renewals < 2;
  return true;
}

modelSuite({
  machine: leaseMachine,
  input: { job: MODEL_JOB },
  events: EVENTS,
  filterEvents: canCause,
  driver: () => new LeaseDriver(),
  scenarios: [
    // Renewed twice while running, progress on the way, then a small result inline.
    [RENEW, PROGRESS, RENEW, SUCCEEDED_SMALL],
    // Renewed, then revoked: the work is aborted and nothing more is sent.
    [RENEW, REVOKED],
    // Renewals go on while a large result uploads; the PUT hangs and times out: inline.
    [SUCCEEDED_LARGE, RENEW, { type: UPLOAD_ERROR }],
    // Revoked during the upload: no result, inline or by reference.
    [SUCCEEDED_LARGE, REVOKED],
    // vLLM fails during the upload: the job ends with the engine's error, not its result.
    [SUCCEEDED_LARGE, ENGINE_FAILED],
    // Shutdown runs out of time during the upload: nothing is sent for the job.
    [SUCCEEDED_LARGE, { type: 'JOB_INTERRUPTED' }],
    // Renewed under the old token, then superseded: nothing more under it.
    [RENEW, { type: 'JOB_SUPERSEDED' }],
  ],
});
