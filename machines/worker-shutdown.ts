/**
 * The worker machine's shutdown sequence (its `shuttingDown` state): drain → wait for running
 * jobs (up to GRACE_PERIOD) → flush logs and metrics → close the connection → heartbeat
 * `stopping` → stop vLLM. Each step waits for the one before; a second signal cuts the wait at
 * hand short. The actions, actors and delays it names are the worker machine's (its `setup`).
 */

import { constant } from './constant.ts';
import type { WorkerContext } from './worker.types.ts';

/** A second signal: the worker's waits end (the connection's too), with a warning saying which. */
function secondSignal(notWaitingFor: string) {
  return constant([
    'endGrace',
    {
      type: 'log',
      params: { level: 'warn', message: `second signal: not waiting for ${notWaitingFor}` },
    },
  ]);
}

export const shuttingDown = constant({
  description: 'The shutdown sequence; each step waits for the one before.',
  tags: 'stopping',
  entry: 'startGrace',
  on: { SHUTDOWN_REQUESTED: { actions: secondSignal('the queue') } },
  initial: 'draining',
  states: {
    draining: {
      description: '`drain` sent; running jobs finish and their results go out.',
      entry: 'drainGate',
      on: {
        GATE_DRAINED: 'flushing',
        SHUTDOWN_REQUESTED: { target: 'interrupting', actions: secondSignal('running jobs') },
      },
      after: { GRACE_PERIOD: 'interrupting' },
    },
    interrupting: {
      description:
        'Time is up: running jobs are aborted; transient ones are answered with an error.',
      entry: 'interruptJobs',
      always: 'flushing',
    },
    flushing: {
      description: 'Logs and metrics are shipped one last time, within their deadline.',
      invoke: { src: 'flushTelemetry', onDone: 'closing', onError: 'closing' },
      on: {
        SHUTDOWN_REQUESTED: {
          target: 'closing',
          actions: secondSignal('logs, metrics or the queue'),
        },
      },
    },
    closing: {
      description:
        'The connection closes once the queue has every result, or the grace period is over.',
      entry: 'closeConnection',
      on: {
        CONNECTION_CLOSED: {
          target: 'reporting',
          actions: {
            type: 'recordUndelivered',
            params: ({ event }: { event: { undelivered: number } }) => event,
          },
        },
      },
    },
    reporting: {
      description:
        'Heartbeat `stopping` (after a failure, the failure heartbeat is the last word).',
      invoke: {
        src: 'finalHeartbeat',
        input: ({ context }: { context: WorkerContext }) => ({
          status: context.failure ? undefined : ('stopping' as const),
        }),
        onDone: 'stoppingEngine',
        onError: 'stoppingEngine',
      },
    },
    stoppingEngine: {
      description:
        "vLLM gets SIGTERM, then SIGKILL after its grace; the engine's end ends the worker.",
      entry: 'stopEngine',
    },
  },
});
