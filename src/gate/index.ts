/**
 * The gate actor: the gate machine with logging, running its jobs as job actors (a transient
 * job as the light one).
 */
import { gateMachine } from '../../machines/gate.machine.ts';
import type { LogParams } from '../../machines/types.ts';
import { createJobLogic, createLightJobLogic, type JobOptions } from '../jobs/job.ts';
import { logAction } from '../observability/log-action.ts';

export function createGateLogic(options: JobOptions) {
  const log = logAction(options.logger);
  return gateMachine.provide({
    actors: { job: createJobLogic(options), lightJob: createLightJobLogic(options) },
    actions: {
      log: (_, params: LogParams | readonly LogParams[]) => {
        for (const line of Array.isArray(params) ? params : [params]) log(_, line as LogParams);
      },
    },
  });
}
