/**
 * The engine of a custom (SDK) worker: there is no vLLM, so the engine machine runs with
 * implementations that succeed at once. The handler is the engine.
 */
import { fromCallback, fromPromise } from 'xstate';
import {
  engineMachine,
  type GpuCheckOutput,
  type ProcessCommand,
} from '../../machines/engine.machine.ts';

const noProcess = fromCallback<ProcessCommand>(({ sendBack, receive }) => {
  sendBack({ type: 'PROCESS_SPAWNED', pid: process.pid });
  receive(() => sendBack({ type: 'PROCESS_EXITED', exitCode: 0, signal: null }));
});

export const instantEngine = engineMachine.provide({
  actors: {
    gpuCheck: fromPromise<GpuCheckOutput>(async () => ({ ok: true })),
    vllm: noProcess,
    waitForHealth: fromPromise<void>(async () => {}),
    checkModels: fromPromise<void>(async () => {}),
    watchHealth: fromCallback(() => undefined),
  },
  actions: { log: () => undefined },
});
