/**
 * The worker machine's `online.degraded` state: vLLM's /health fails. The gate is paused (by
 * the transition in), `active` heartbeats are skipped, and after UNHEALTHY_TIMEOUT the running
 * and waiting jobs are given up; recovery resumes the gate. The actions and delays it names
 * are the worker machine's (its `setup`).
 */

import { constant } from './constant.ts';
import { abandonedJobError, gaveUpLog, type WorkerContext } from './worker.types.ts';

type Args = { context: WorkerContext };

export const degraded = constant({
  description:
    "vLLM's /health fails: the gate pauses, `active` heartbeats are skipped until it recovers.",
  on: {
    HEARTBEAT_DUE: { actions: 'scheduleHeartbeat' },
    ENGINE_RECOVERED: {
      target: 'serving',
      actions: [
        { type: 'log', params: { level: 'info', message: 'vLLM is healthy again' } },
        'resumeGate',
      ],
    },
  },
  initial: 'waiting',
  states: {
    waiting: {
      description: 'Running jobs wait for vLLM to recover, up to UNHEALTHY_TIMEOUT.',
      after: {
        UNHEALTHY_TIMEOUT: {
          target: 'gaveUp',
          actions: [
            { type: 'log', params: ({ context }: Args) => gaveUpLog(context) },
            {
              type: 'abandonJobs',
              params: ({ context }: Args) => ({ message: abandonedJobError(context) }),
            },
          ],
        },
      },
    },
    gaveUp: {
      description:
        'Running and waiting jobs were given up; the gate stays paused until vLLM recovers.',
    },
  },
});
