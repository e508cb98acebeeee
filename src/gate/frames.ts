/**
 * The frames that go from the socket straight to the gate, the owner of running jobs: job
 * offers, revocations, and job frames that failed validation but name their job.
 */
import type { GateEvent } from '../../machines/gate.machine.ts';
import type { QueueFrame } from '../../machines/types.ts';
import type { FrameParse } from '../protocol/parse.ts';

/** The gate's event for a parsed frame; undefined for frames the connection handles. */
export function gateEventOf(parsed: FrameParse<QueueFrame>): GateEvent | undefined {
  if (!parsed.ok) {
    const { jobId } = parsed;
    return parsed.type === 'job' && jobId !== undefined
      ? { type: 'JOB_REJECTED', rejection: { ...parsed, jobId } }
      : undefined;
  }
  const { frame } = parsed;
  if (frame.type === 'job') return { type: 'JOB_OFFERED', job: frame };
  if (frame.type === 'job_revoked') {
    return {
      type: 'JOB_REVOKED',
      jobId: frame.job_id,
      ...(frame.reason ? { reason: frame.reason } : {}),
    };
  }
  return undefined;
}
