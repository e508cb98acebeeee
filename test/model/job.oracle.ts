/**
 * Where a job's life must have come, from the walk's own events alone: the end state and the
 * outcome, written from the protocol (protocol.md, worker.md) and not from the job machine or
 * job-rules.ts. The walk's model is the job machine itself, so a bug in the machine or in its
 * rules changes the model and the worker alike and their states still agree; this does not
 * change with them (issue 20: the walks must catch such bugs).
 */
import type { EventObject } from 'xstate';
import { DEFAULTS } from '../../machines/defaults.ts';
import type { JobEndState, JobFrame, JobOutcome } from '../../machines/types.ts';

export type ExpectedEnd = { state: JobEndState; outcome: JobOutcome };

const inline: ExpectedEnd = { state: 'result', outcome: { kind: 'result', delivery: 'inline' } };
const aborted = (state: JobEndState, reason: 'revoked' | 'superseded' | 'shutdown') =>
  ({ state, outcome: { kind: 'aborted', reason } }) as ExpectedEnd;

type WalkEvent = EventObject & { size?: number; message?: string };

/**
 * The end the job reached after `events` (undefined: it still runs), for a job of `mode` whose
 * frame carries `uploadUrl` or not, given the events the walk caused in order (the upload's
 * own done and error events among them). `engineError` is the message vLLM's failure gives.
 */
export function expectedEnd(
  job: Pick<JobFrame, 'mode' | 'result_upload_url'>,
  events: readonly EventObject[],
  engineError: string,
): ExpectedEnd | undefined {
  // Only a persisted job with an upload URL offloads a result over the threshold (protocol.md).
  const offloads = job.mode === 'persisted' && job.result_upload_url !== undefined;
  let uploading = false;
  for (const event of events as readonly WalkEvent[]) {
    const type = event.type;
    if (type === 'WORK_SUCCEEDED' && !uploading) {
      if (!offloads || (event.size ?? 0) <= DEFAULTS.offloadThresholdBytes) return inline;
      uploading = true;
    } else if (type === 'WORK_FAILED' && !uploading) {
      return { state: 'error', outcome: { kind: 'error', message: event.message! } };
    } else if (type.startsWith('xstate.done.actor.') && uploading) {
      return { state: 'result', outcome: { kind: 'result', delivery: 'offloaded' } };
    } else if (type.startsWith('xstate.error.actor.') && uploading) {
      return inline;
    } else if (type === 'JOB_REVOKED') {
      return aborted('revoked', 'revoked');
    } else if (type === 'JOB_SUPERSEDED') {
      return aborted('superseded', 'superseded');
    } else if (type === 'JOB_INTERRUPTED' || type === 'JOB_FAILED') {
      // A result being uploaded exists: it goes inline rather than be thrown away.
      if (uploading) return inline;
      if (type === 'JOB_INTERRUPTED') return aborted('interrupted', 'shutdown');
      return { state: 'failed', outcome: { kind: 'error', message: engineError } };
    }
    // Progress and renewals leave the job running.
  }
  return undefined;
}
