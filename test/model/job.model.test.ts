/**
 * The job machine, walked against the job a real worker runs for a job of the local queue (the
 * driver: job.driver.ts), once for a persisted job (with its lease and an upload URL) and once
 * for a transient one; report.ts merges the two into the machine's coverage. The worker runs a
 * transient job as the light actor (machines/light-job.ts), which takes the machine's rules
 * without the machine: the transient walks hold it to the machine's states and frames, and its
 * steps count as the machine's transitions built from the same rules (coverage.ts). The model
 * has one job; the worker runs with capacity 1.
 */
import type { AnyMachineSnapshot, EventObject } from 'xstate';
import { DEFAULTS } from '../../machines/defaults.ts';
import { jobMachine } from '../../machines/job.machine.ts';
import type { JobFrame } from '../../machines/types.ts';
import { ENGINE_ERROR, JobDriver, SMALL, UPLOAD_DONE, UPLOAD_ERROR } from './job.driver.ts';
import { modelSuite } from './suite.ts';

/** The model's jobs; the real ones are the queue's (their ids, tokens and upload URL differ). */
const PERSISTED: JobFrame = {
  type: 'job',
  job_id: 'j',
  mode: 'persisted',
  config_id: 'cfg',
  fence_token: 1,
  payload: {},
  result_upload_url: 'http://queue/offload/result/j/1',
};
const TRANSIENT: JobFrame = { ...PERSISTED, mode: 'transient', fence_token: 0 };
delete TRANSIENT.result_upload_url;

const succeeded = (result: unknown, size: number) => ({
  type: 'WORK_SUCCEEDED',
  jobId: 'j',
  result,
  size,
});
const SUCCEEDED_SMALL = succeeded(SMALL, JSON.stringify(SMALL).length);
const SUCCEEDED_LARGE = succeeded('large', DEFAULTS.offloadThresholdBytes + 1_024);
const SUCCEEDED_AT_THRESHOLD = succeeded('at threshold', DEFAULTS.offloadThresholdBytes);
const PROGRESS = { type: 'WORK_PROGRESS', jobId: 'j', progress: 0.5, message: 'halfway' };
const RENEW = { type: 'RENEW_DUE' };
const REVOKED = { type: 'JOB_REVOKED', reason: 'cancelled' };
const ENGINE_FAILED = { type: 'JOB_FAILED', message: ENGINE_ERROR };
const FAILED = { type: 'WORK_FAILED', jobId: 'j', message: 'the handler failed' };

/** The handler reports progress only while it runs; renewals are bounded to two. */
function canCause(snapshot: AnyMachineSnapshot, event: EventObject): boolean {
  if (snapshot.hasTag('ended')) return false;
  if (event.type === 'WORK_PROGRESS') return snapshot.matches({ running: 'working' });
  if (event.type === 'RENEW_DUE') return snapshot.context.renewals < 2;
  // A PUT that succeeds cannot be held back past a renewal: it succeeds at once.
  if (event.type === UPLOAD_DONE) return snapshot.context.renewals === 0;
  return true;
}

modelSuite({
  machine: jobMachine,
  part: 'persisted',
  input: { job: PERSISTED },
  events: [
    SUCCEEDED_SMALL,
    SUCCEEDED_AT_THRESHOLD,
    SUCCEEDED_LARGE,
    FAILED,
    PROGRESS,
    REVOKED,
    ENGINE_FAILED,
  ],
  filterEvents: canCause,
  driver: () => new JobDriver('persisted'),
  scenarios: [
    // Renewed twice while running, progress on the way, then a small result inline.
    [RENEW, PROGRESS, RENEW, SUCCEEDED_SMALL],
    // Renewed, then revoked: the work is aborted and nothing more is sent.
    [RENEW, REVOKED],
    // Renewals go on while a large result uploads; the PUT hangs and times out: inline.
    [SUCCEEDED_LARGE, RENEW, { type: UPLOAD_ERROR }],
    // Revoked during the upload: no result, inline or by reference.
    [SUCCEEDED_LARGE, REVOKED],
    // vLLM fails during the upload: the result exists, so it goes inline.
    [SUCCEEDED_LARGE, ENGINE_FAILED],
    // Shutdown runs out of time during the upload: the result goes inline.
    [SUCCEEDED_LARGE, { type: 'JOB_INTERRUPTED' }],
    // Renewed under the old token, then superseded: nothing more under it.
    [RENEW, { type: 'JOB_SUPERSEDED' }],
    // A result exactly as large as the threshold goes inline: only a larger one is offloaded.
    [SUCCEEDED_AT_THRESHOLD],
  ],
});

/** A transient job has no lease, no upload URL, and no newer dispatch (its token is 0). */
modelSuite({
  machine: jobMachine,
  part: 'transient',
  input: { job: TRANSIENT },
  // A large result too: it goes inline, as a transient job has no upload URL to PUT it to.
  events: [SUCCEEDED_SMALL, SUCCEEDED_LARGE, FAILED, PROGRESS, REVOKED, ENGINE_FAILED],
  filterEvents: (snapshot, event) =>
    canCause(snapshot, event) &&
    event.type !== 'JOB_SUPERSEDED' &&
    // Nothing schedules a renewal for a transient job.
    event.type !== 'RENEW_DUE',
  driver: () => new JobDriver('transient'),
  scenarios: [
    // Progress, then a result: frames with token 0 and no renewal ever.
    [PROGRESS, SUCCEEDED_SMALL],
    // A large result goes inline: there is no upload URL to PUT it to.
    [SUCCEEDED_LARGE],
  ],
});
