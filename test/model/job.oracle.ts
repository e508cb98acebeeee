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
import { LEVELS } from '../support/log-capture.ts';

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

const { debug: DEBUG, warn: WARN } = LEVELS;

/** What the job machine logs of a persisted job's lease and upload, one signature per line. */
export const JOB_MESSAGES = {
  renewed: 'lease renewed',
  uploaded: 'result uploaded to result_upload_url; sending its reference',
  uploadFailed: 'result upload failed: sending the result inline instead',
  cutShort: (why: string) => `${why} during the result upload: sending the result inline instead`,
};

/**
 * The lines the job machine must have logged after `events` (a persisted job's renewals, and
 * how its upload went), as `[level, message, job id, renewals]`; a transient job logs none.
 */
export function expectedLines(
  job: Pick<JobFrame, 'mode' | 'job_id' | 'result_upload_url'>,
  events: readonly EventObject[],
): string[] {
  if (job.mode !== 'persisted') return [];
  const lines: string[] = [];
  const line = (level: number, msg: string, renewals?: number) =>
    lines.push(lineSignature({ level, msg, job_id: job.job_id, renewals }));
  let renewals = 0;
  let uploading = false;
  for (let i = 0; i < events.length; i += 1) {
    const type = events[i]!.type;
    const ended = expectedEnd(job, events.slice(0, i + 1), '') !== undefined;
    if (type === 'RENEW_DUE') {
      renewals += 1;
      line(DEBUG, JOB_MESSAGES.renewed, renewals);
    }
    // A result that leaves the job running is being uploaded.
    if (type === 'WORK_SUCCEEDED' && !ended) uploading = true;
    if (uploading) {
      if (type.startsWith('xstate.done.actor.')) line(DEBUG, JOB_MESSAGES.uploaded);
      if (type.startsWith('xstate.error.actor.')) line(WARN, JOB_MESSAGES.uploadFailed);
      if (type === 'JOB_INTERRUPTED') line(WARN, JOB_MESSAGES.cutShort('shutdown ran out of time'));
      if (type === 'JOB_FAILED') line(WARN, JOB_MESSAGES.cutShort('vLLM failed'));
    }
    if (ended) break;
  }
  return lines;
}

const lineSignature = (l: Record<string, unknown>) =>
  JSON.stringify([l.level, l.msg, l.job_id, l.renewals ?? null]);

/** The job machine's lines among a log's entries, as `expectedLines` signs them. */
export function jobLines(entries: readonly Record<string, unknown>[]): string[] {
  const messages = new Set<unknown>([
    JOB_MESSAGES.renewed,
    JOB_MESSAGES.uploaded,
    JOB_MESSAGES.uploadFailed,
    JOB_MESSAGES.cutShort('shutdown ran out of time'),
    JOB_MESSAGES.cutShort('vLLM failed'),
  ]);
  return entries
    .filter((entry) => messages.has(entry.msg))
    .map((entry) =>
      // An upload that failed says why: its line without an error is no such line.
      entry.msg === JOB_MESSAGES.uploadFailed && typeof entry.error !== 'string'
        ? lineSignature({ ...entry, msg: `${entry.msg} (no error)` })
        : lineSignature(entry),
    );
}
