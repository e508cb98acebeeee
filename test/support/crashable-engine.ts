/**
 * The engine machine with a vLLM stand-in a test controls: ready at once, like the SDK's
 * instant engine, and made to exit on demand, so that a worker's engine-failure path (every
 * running job failed with the cause, then shutdown) runs through the real engine and worker
 * machines without a process.
 */
import { fromCallback, fromPromise } from 'xstate';
import {
  engineMachine,
  type GpuCheckOutput,
  type ProcessCommand,
} from '../../machines/engine.machine.ts';

export type CrashableEngine = {
  logic: typeof engineMachine;
  /** The stand-in process exits on its own with this code (the engine fails as `crashed`). */
  crash(exitCode?: number): void;
};

export function crashableEngine(): CrashableEngine {
  let exit: ((exitCode: number) => void) | undefined;
  const vllm = fromCallback<ProcessCommand>(({ sendBack, receive }) => {
    sendBack({ type: 'PROCESS_SPAWNED', pid: process.pid });
    exit = (exitCode) => sendBack({ type: 'PROCESS_EXITED', exitCode, signal: null });
    receive(() => sendBack({ type: 'PROCESS_EXITED', exitCode: 0, signal: null }));
  });
  const logic = engineMachine.provide({
    actors: {
      gpuCheck: fromPromise<GpuCheckOutput>(async () => ({ ok: true })),
      vllm,
      waitForHealth: fromPromise<void>(async () => {}),
      checkModels: fromPromise<void>(async () => {}),
      watchHealth: fromCallback(() => undefined),
    },
    actions: { log: () => undefined },
  });
  return {
    logic,
    crash(exitCode = 1) {
      if (exit === undefined) throw new Error('the engine has not started its vLLM stand-in');
      exit(exitCode);
    },
  };
}
