/**
 * The job actor: the job machine with the real work and upload.
 */
import { jobMachine } from '../../machines/job.machine.ts';
import { createUploadActor, type UploadOptions } from '../lease/upload.ts';
import { logAction } from '../observability/log-action.ts';
import { createWorkActions, type WorkOptions } from './work.ts';

export type JobOptions = WorkOptions & {
  upload?: UploadOptions;
  /** How often a running persisted job's lease is renewed, in ms. Default DEFAULTS.renewIntervalMs (30 s). */
  renewIntervalMs?: number;
};

export function createJobLogic(options: JobOptions) {
  return jobMachine.provide({
    actors: { upload: createUploadActor(options.upload) },
    actions: { ...createWorkActions(options), log: logAction(options.logger) },
    delays:
      options.renewIntervalMs === undefined ? {} : { RENEW_INTERVAL: options.renewIntervalMs },
  });
}
