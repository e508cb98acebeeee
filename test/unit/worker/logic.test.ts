import { describe, expect, it } from 'vitest';
import { createActor, fromCallback, fromPromise, toPromise } from 'xstate';
import { engineMachine, type GpuCheckOutput } from '../../../machines/engine.machine.ts';
import { silentLogger } from '../../../src/observability/logger.ts';
import { createWorkerLogic, type WorkerParts } from '../../../src/worker/logic.ts';

const GPU_FAILURE = 'gpu_health_check failed: GPU 0: 3 uncorrected ECC errors';

/**
 * A worker whose engine stops at the GPU check: it fails there, or (`gpu: 'pending'`) waits
 * there until the shutdown stops it. No queue is ever reached: the worker stays in booting.
 */
function startWorker(gpu: 'failing' | 'pending', parts: Partial<WorkerParts> = {}) {
  const heartbeats: string[] = [];
  const check =
    gpu === 'failing'
      ? async (): Promise<GpuCheckOutput> => ({ ok: false, message: GPU_FAILURE })
      : () => new Promise<GpuCheckOutput>(() => {});
  const engine = engineMachine.provide({
    actors: { gpuCheck: fromPromise(check) },
    actions: { log: () => {} },
  });
  const logic = createWorkerLogic({
    url: 'ws://127.0.0.1:9/ws',
    token: undefined,
    maxFrameBytes: 1 << 20,
    logger: silentLogger(),
    handler: async () => ({}),
    parts: {
      engine,
      backpressure: fromCallback(() => undefined),
      flushTelemetry: async () => {},
      heartbeat: async (status, errorMessage) => {
        heartbeats.push(errorMessage === undefined ? status : `${status}: ${errorMessage}`);
        return true;
      },
      ...parts,
    },
  });
  const received: string[] = [];
  const actor = createActor(logic, {
    input: { workerId: 'w1', configId: 'cfg', capacity: 1 },
    inspect: (event) => {
      if (event.type === '@xstate.event' && event.actorRef === actor)
        received.push(event.event.type);
    },
  });
  actor.start();
  return { actor, heartbeats, received, done: toPromise(actor) };
}

describe('worker logic: the last heartbeat', () => {
  it('after a failure, is the failure: no `stopping` follows it, and the exit code is 1', async () => {
    const worker = startWorker('failing');
    expect(await worker.done).toEqual({
      exitCode: 1,
      failure: { kind: 'gpu', message: GPU_FAILURE },
    });
    expect(worker.heartbeats).toEqual(['starting', `fatal: ${GPU_FAILURE}`]);
  });

  it('after a requested shutdown, is `stopping`, and the exit code is 0', async () => {
    const worker = startWorker('pending');
    worker.actor.send({ type: 'SHUTDOWN_REQUESTED', signal: 'SIGTERM' });
    expect((await worker.done).exitCode).toBe(0);
    expect(worker.heartbeats).toEqual(['starting', 'stopping']);
  });

  it('not delivered, and telemetry not shipped, are errors that still let the worker exit', async () => {
    const worker = startWorker('pending', {
      flushTelemetry: async () => {
        throw new Error('logs endpoint answered 503');
      },
      heartbeat: async () => false,
    });
    worker.actor.send({ type: 'SHUTDOWN_REQUESTED' });
    expect((await worker.done).exitCode).toBe(0);
    expect(worker.received.filter((type) => type.startsWith('xstate.error.actor'))).toEqual([
      'xstate.error.actor.0.worker.shuttingDown.flushing',
      'xstate.error.actor.0.worker.shuttingDown.reporting',
    ]);
  });
});
