/**
 * The job actors: the job machine with the real work and upload, and for a transient job the
 * light actor that runs the machine's rules with the same work.
 */
import { jobMachine } from '../../machines/job.machine.ts';
import { type LightJobLogic, lightJobLogic } from '../../machines/light-job.ts';
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

/** A transient job's actor: no lease, no upload, the job machine's rules (light-job.ts). */
export function createLightJobLogic(options: WorkOptions): LightJobLogic {
  return lightJobLogic(createWorkActions(options));
}
