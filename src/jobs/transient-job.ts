/**
 * The `transientJob` actor: a transient job runs without a lease and settles inline. Its frames
 * carry fence token 0, as the reference SDK's do. It answers the worker's commands like a lease
 * does and reports JOB_ENDED once.
 */
import { fromCallback } from 'xstate';
import type { AbortReason, JobFrame, JobOutcome, OutboundFrame } from '../../machines/types.ts';
import type { JobCommand } from '../../machines/worker.machine.ts';
import { errorMessage, JobAbortedError } from '../errors.ts';
import { runJob, type WorkOptions } from './work.ts';

/** What the job tells the queue when a command ends it; undefined: nothing at all. */
function answerFor(command: JobCommand): { reason: AbortReason; error?: string } {
  switch (command.type) {
    case 'JOB_REVOKED':
      return { reason: 'revoked' };
    case 'JOB_SUPERSEDED':
      return { reason: 'superseded' };
    case 'JOB_INTERRUPTED':
      return { reason: 'shutdown', error: new JobAbortedError('shutdown').message };
    case 'JOB_FAILED':
      return { reason: 'engine_failed', error: command.message };
  }
}

export function createTransientJobActor(options: WorkOptions) {
  return fromCallback<JobCommand, { job: JobFrame }>(({ input, sendBack, receive, system }) => {
    const { job } = input;
    const jobId = job.job_id;
    const controller = new AbortController();
    let ended = false;
    const send = (frame: OutboundFrame) => system.get('connection')?.send({ type: 'SEND', frame });
    const end = (outcome: JobOutcome, frame?: OutboundFrame) => {
      if (ended) return;
      ended = true;
      if (frame !== undefined) send(frame);
      sendBack({ type: 'JOB_ENDED', jobId, fenceToken: job.fence_token, outcome });
    };
    const fail = (message: string) =>
      end(
        { kind: 'error', message },
        { type: 'job_error', job_id: jobId, error: message, fence_token: 0 },
      );

    receive((command) => {
      if (ended) return;
      const { reason, error } = answerFor(command);
      controller.abort(new JobAbortedError(reason));
      if (error === undefined) end({ kind: 'aborted', reason });
      else fail(error);
    });

    runJob(job, options, controller.signal, (event) => {
      if (ended) return;
      if (event.type === 'WORK_PROGRESS') {
        const { progress, message } = event;
        send({
          type: 'job_progress',
          job_id: jobId,
          fence_token: 0,
          ...(progress === undefined ? {} : { progress }),
          ...(message === undefined ? {} : { status_message: message }),
        });
      } else if (event.type === 'WORK_SUCCEEDED') {
        const frame = { type: 'job_result', job_id: jobId, result: event.result, fence_token: 0 };
        end({ kind: 'result', delivery: 'inline' }, frame as OutboundFrame);
      }
    }).catch((error: unknown) => {
      if (!ended) fail(errorMessage(error));
    });

    return () => {
      if (!ended) controller.abort(new JobAbortedError('shutdown'));
    };
  });
}
