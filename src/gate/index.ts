/**
 * The gate actor: the gate machine with logging, running its jobs as job actors (a transient
 * job as the light one).
 */
import { gateMachine } from '../../machines/gate.machine.ts';
import { createJobLogic, createLightJobLogic, type JobOptions } from '../jobs/job.ts';
import { logAction } from '../observability/log-action.ts';

export function createGateLogic(options: JobOptions) {
  return gateMachine.provide({
    actors: { job: createJobLogic(options), lightJob: createLightJobLogic(options) },
    actions: { log: logAction(options.logger) },
  });
}
