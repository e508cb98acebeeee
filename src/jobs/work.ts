/**
 * A job's work: runs its handler. It fetches an offloaded payload first, gives the handler an
 * AbortSignal that fires with a reason, and reports the outcome as WORK_* events to the job.
 * A handler that throws fails its job only.
 */
import type { AnyActorRef } from 'xstate';
import { DEFAULTS } from '../../machines/defaults.ts';
import { type JobContext, mayOffload } from '../../machines/job.machine.ts';
import type { AbortReason, JobFrame, WorkEvent } from '../../machines/types.ts';
import { errorMessage, JobAbortedError } from '../errors.ts';
import type { Logger } from '../observability/logger.ts';
import type { JsonValue } from '../protocol/frames.ts';
import { jsonByteLength } from './json-stream.ts';
import { fetchPayload, type PayloadFetchOptions } from './payload.ts';
import type { Job, JobHandler } from './types.ts';

export type WorkOptions = {
  handler: JobHandler;
  logger: Logger;
  payload?: PayloadFetchOptions;
};

/** Fetches the payload, runs the handler, and reports progress and success (failure throws). */
export async function runJob(
  frame: JobFrame,
  options: WorkOptions,
  signal: AbortSignal,
  report: (event: WorkEvent) => void,
): Promise<void> {
  const jobId = frame.job_id;
  let payload: JsonValue = frame.payload;
  if (frame.payload_url !== undefined) {
    payload = await fetchPayload(frame.payload_url, signal, options.payload);
  }
  const job: Job = {
    id: jobId,
    mode: frame.mode,
    configId: frame.config_id,
    payload,
    fenceToken: frame.fence_token,
  };
  const progress = (value?: number, message?: string) =>
    report({
      type: 'WORK_PROGRESS',
      jobId,
      ...(value === undefined ? {} : { progress: value }),
      ...(message === undefined ? {} : { message }),
    });
  // The job's child logger is made when the handler first asks for it: most never do, and a
  // pino child per job is a measurable share of a job that returns at once.
  let logger: Logger | undefined;
  const context = {
    signal,
    progress,
    get logger(): Logger {
      logger ??= options.logger.child({ job_id: jobId, config_id: frame.config_id });
      return logger;
    },
  };
  const result = (await options.handler(job, context)) ?? null;
  // Measured only where the job machine may offload, and only up to the threshold: the count
  // stops past it, so a huge result is never serialised just to be measured.
  const size = mayOffload(frame) ? jsonByteLength(result, DEFAULTS.offloadThresholdBytes) : 0;
  report({ type: 'WORK_SUCCEEDED', jobId, result, size });
}

/**
 * The job machine's `startWork` and `abortWork`: the work runs beside its job, not as a child
 * actor of its own, and reports to the job directly. A job stopped before its work ended (its
 * owner stopped) aborts the work, as the end of a shutdown.
 */
export function createWorkActions(options: WorkOptions) {
  const controllers = new WeakMap<AnyActorRef, AbortController>();
  const startWork = ({ context, self }: { context: JobContext; self: AnyActorRef }) => {
    const controller = new AbortController();
    controllers.set(self, controller);
    let finished = false;
    const report = (event: WorkEvent) => {
      if (controller.signal.aborted) return;
      if (event.type !== 'WORK_PROGRESS') finished = true;
      self.send(event);
    };
    // A job that stops (or fails) before its work ended aborts the work, as at shutdown; the
    // error handler also keeps a failed job's error from being rethrown as uncaught.
    const ended = () => {
      if (!finished && !controller.signal.aborted) {
        controller.abort(new JobAbortedError('shutdown'));
      }
    };
    const stopped = self.subscribe({ complete: ended, error: ended });
    runJob(context.job, options, controller.signal, report)
      .catch((error: unknown) => {
        report({ type: 'WORK_FAILED', jobId: context.jobId, message: errorMessage(error) });
      })
      .finally(() => stopped.unsubscribe());
  };
  const abortWork = ({ self }: { self: AnyActorRef }, params: { reason: AbortReason }) => {
    const controller = controllers.get(self);
    if (controller !== undefined && !controller.signal.aborted) {
      controller.abort(new JobAbortedError(params.reason));
    }
  };
  return { startWork, abortWork };
}
