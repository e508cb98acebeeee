import { describe, expect, it } from 'vitest';
import { TaskError } from '../../../src/errors.ts';
import { awaitingEngineVerdict } from '../../../src/worker/engine-verdict.ts';

const unreachable = () =>
  Promise.reject(new TaskError('engine_unreachable', 'could not reach vLLM: other side closed'));

describe('awaitingEngineVerdict', () => {
  it('returns what the task returns', async () => {
    const signal = new AbortController().signal;
    expect(await awaitingEngineVerdict(async () => 42, signal)).toBe(42);
  });

  it('holds an unreachable-vLLM failure until the job is aborted, then throws it', async () => {
    const controller = new AbortController();
    let settled = false;
    const running = awaitingEngineVerdict(unreachable, controller.signal, 60_000).finally(() => {
      settled = true;
    });
    await new Promise((resolve) => setImmediate(resolve));
    expect(settled).toBe(false);
    controller.abort(new Error('vLLM failed: vLLM exited on its own'));
    await expect(running).rejects.toThrow('other side closed');
  });

  it('throws the failure after the wait when no verdict comes', async () => {
    const signal = new AbortController().signal;
    await expect(awaitingEngineVerdict(unreachable, signal, 5)).rejects.toThrow(
      'other side closed',
    );
  });

  it('throws any other failure at once', async () => {
    const signal = new AbortController().signal;
    const failing = () => Promise.reject(new TaskError('engine_error', 'vLLM answered 400'));
    await expect(awaitingEngineVerdict(failing, signal, 60_000)).rejects.toThrow('400');
  });
});
