/**
 * What other code asks of a machine's state, it asks through tags, never through state names:
 * /readyz and /metrics (engine `ready`, connection `registered`, worker `stopping`), the SDK
 * (connection `registered`, gate `drained`), the gate and the ledger (job `ended`). Renaming a
 * state keeps its tags; removing a tag fails here, and a renamed state still reads ready.
 */
import { describe, expect, it } from 'vitest';
import {
  type AnyStateMachine,
  type AnyStateNode,
  createActor,
  fromCallback,
  sendParent,
  setup,
} from 'xstate';
import { connectionMachine } from '../../../machines/connection.machine.ts';
import { engineMachine } from '../../../machines/engine.machine.ts';
import { gateMachine } from '../../../machines/gate.machine.ts';
import { jobMachine } from '../../../machines/job.machine.ts';
import { workerMachine } from '../../../machines/worker.machine.ts';
import { silentLogger } from '../../../src/observability/logger.ts';
import { readiness } from '../../../src/status/readiness.ts';
import { startLocalQueue } from '../../../src/tools/queue/index.ts';
import { createWorkerLogic } from '../../../src/worker/logic.ts';
import { describeWorker } from '../../../src/worker/state.ts';
import { until } from '../../support/sdk-worker.ts';

function taggedStates(machine: AnyStateMachine, tag: string): string[] {
  const walk = (node: AnyStateNode): AnyStateNode[] => [
    node,
    ...Object.values(node.states).flatMap(walk),
  ];
  return walk(machine.root)
    .filter((node) => node.tags.includes(tag))
    .map((node) => node.id);
}

describe('tags other code reads', () => {
  it.each([
    ['engine', engineMachine, 'ready', ['engine.running.ready']],
    ['connection', connectionMachine, 'registered', ['connection.linked.online']],
    ['worker', workerMachine, 'stopping', ['worker.shuttingDown', 'worker.exited']],
    ['gate', gateMachine, 'drained', ['gate.drained']],
    [
      'job',
      jobMachine,
      'ended',
      ['job.result', 'job.error', 'job.revoked', 'job.superseded', 'job.interrupted', 'job.failed'],
    ],
  ] as const)('%s: states tagged %s', (_, machine, tag, states) => {
    expect(taggedStates(machine, tag)).toEqual(states);
  });

  it('reads a worker as ready whatever its engine calls the state it serves in', async () => {
    // An engine whose serving state has another name: only its `ready` tag says it serves.
    const engine = setup({}).createMachine({
      id: 'engine',
      initial: 'warmingUp',
      states: {
        warmingUp: { always: 'serving' },
        serving: {
          tags: 'ready',
          entry: sendParent({ type: 'ENGINE_READY', startupMs: 0 }),
          on: { STOP: 'gone' },
        },
        gone: { type: 'final' },
      },
    });
    const queue = await startLocalQueue();
    const logic = createWorkerLogic({
      url: `${queue.wsUrl}/ws`,
      token: undefined,
      maxFrameBytes: 1 << 20,
      logger: silentLogger(),
      handler: () => null,
      parts: {
        engine: engine as never,
        backpressure: fromCallback(() => undefined),
        flushTelemetry: async () => {},
        heartbeat: async () => true,
      },
    });
    const worker = createActor(logic, {
      input: { workerId: 'w-tags', configId: 'cfg', capacity: 1 },
    }).start();
    try {
      await until(() => queue.workers().length === 1, 5_000, 'the worker registered');
      await until(() => describeWorker(worker).flags.registered, 5_000, 'registered');
      expect(describeWorker(worker).engine).toBe('serving');
      expect(readiness(describeWorker(worker))).toEqual({ ready: true });
      worker.send({ type: 'SHUTDOWN_REQUESTED' });
      expect(readiness(describeWorker(worker))).toMatchObject({
        ready: false,
        reasons: [expect.stringMatching(/^the worker is shutting down/)],
      });
    } finally {
      worker.stop();
      await queue.close();
    }
  });
});
