/**
 * The lease actor: the lease machine with the real work and upload actors.
 */
import { leaseMachine } from '../../machines/lease.machine.ts';
import { createWorkActor, type WorkOptions } from '../jobs/work.ts';
import { logAction } from '../observability/log-action.ts';
import { createUploadActor, type UploadOptions } from './upload.ts';

export type LeaseOptions = WorkOptions & {
  upload?: UploadOptions;
  /** How often a running persisted job's lease is renewed. Default 30 000 ms. */
  renewIntervalMs?: number;
};

export function createLeaseLogic(options: LeaseOptions) {
  return leaseMachine.provide({
    actors: { work: createWorkActor(options), upload: createUploadActor(options.upload) },
    actions: { log: logAction(options.logger) },
    delays:
      options.renewIntervalMs === undefined ? {} : { RENEW_INTERVAL: options.renewIntervalMs },
  });
}
