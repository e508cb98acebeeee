/**
 * The reason a job's handler reads from its AbortSignal is the reason its job ended (a
 * persisted job given up on a hung vLLM read `shutdown` before).
 */
import { describe, expect, it } from 'vitest';
import { createActor, fromCallback, setup, spawnChild } from 'xstate';
import type { JobCommand } from '../../../machines/types.ts';
import type { JobAbortedError } from '../../../src/errors.ts';
import { createJobLogic } from '../../../src/jobs/job.ts';
import type { JobHandler } from '../../../src/jobs/types.ts';
import { silentLogger } from '../../../src/observability/logger.ts';

/** Runs one job of `mode` under a parent with a connection; returns what its handler saw. */
async function run(mode: 'persisted' | 'transient', handler: JobHandler, command?: JobCommand) {
  const signals: AbortSignal[] = [];
  const logic = createJobLogic({
    logger: silentLogger(),
    handler: (job, context) => {
      signals.push(context.signal);
      return handler(job, context);
    },
  });
  const parent = createActor(
    setup({
      actors: { job: logic, connection: fromCallback(() => {}) },
    }).createMachine({
      invoke: { src: 'connection', systemId: 'connection' },
      entry: spawnChild('job', {
        id: 'job',
        input: { job: { job_id: 'j1', mode, fence_token: 3, payload: {}, task: 'echo' } as never },
      }),
    }),
  ).start();
  const job = parent.getSnapshot().children.job!;
  await new Promise((resolve) => setImmediate(resolve));
  if (command !== undefined) job.send(command);
  await new Promise((resolve) => setImmediate(resolve));
  parent.stop();
  return signals[0]!;
}

const untilAborted: JobHandler = (_job, { signal }) =>
  new Promise((_resolve, reject) => signal.addEventListener('abort', () => reject(signal.reason)));

describe("a job's abort reason", () => {
  it.each([
    ['persisted', { type: 'JOB_INTERRUPTED', reason: 'engine_unhealthy' }, 'engine_unhealthy'],
    ['persisted', { type: 'JOB_INTERRUPTED' }, 'shutdown'],
    ['transient', { type: 'JOB_INTERRUPTED' }, 'shutdown'],
    ['persisted', { type: 'JOB_REVOKED' }, 'revoked'],
    ['persisted', { type: 'JOB_SUPERSEDED' }, 'superseded'],
    ['transient', { type: 'JOB_FAILED', message: 'vLLM exited' }, 'engine_failed'],
  ] as const)('a %s job given %j aborts its handler with %s', async (mode, command, reason) => {
    const signal = await run(mode, untilAborted, command as JobCommand);
    expect(signal.aborted).toBe(true);
    expect((signal.reason as JobAbortedError).reason).toBe(reason);
  });
});
