/**
 * A transient job's light actor does what the job machine does for the same transient job, by
 * the same rules (job-rules.ts): the same frames to the queue, the same JOB_ENDED to its owner,
 * the same abort reason for its handler, and a snapshot that reads the same (value, the `ended`
 * tag, the outcome). The model walks check this through the real worker; this checks every
 * rule side by side.
 */
import { describe, expect, it } from 'vitest';
import {
  type AnyActorLogic,
  type AnyEventObject,
  createActor,
  fromCallback,
  setup,
  spawnChild,
} from 'xstate';
import type { JobCommand, OutboundFrame } from '../../../machines/types.ts';
import type { JobAbortedError } from '../../../src/errors.ts';
import { createJobLogic, createLightJobLogic } from '../../../src/jobs/job.ts';
import { silentLogger } from '../../../src/observability/logger.ts';
import { hasTag } from '../../../src/worker/state.ts';
import { jobFrame } from '../../support/job-frame.ts';
import { deferred } from '../../support/sdk-worker.ts';

type Step =
  | { work: 'succeed' | 'fail' | 'progress' }
  | { command: JobCommand }
  /** What else the job's owner does: stop it (the worker stopped). */
  | { stop: true };

const tick = () => new Promise((resolve) => setImmediate(resolve));

/** Runs a transient job in `kind`, takes `steps`, and returns what the world saw of it. */
async function run(kind: 'machine' | 'light', steps: Step[], { connection = true } = {}) {
  const frames: OutboundFrame[] = [];
  const told: AnyEventObject[] = [];
  const handler = { release: deferred<unknown>(), progress: (_?: number, __?: string) => {} };
  let signal: AbortSignal | undefined;
  const options = {
    logger: silentLogger(),
    handler: (_job: unknown, context: { signal: AbortSignal; progress: () => void }) => {
      signal = context.signal;
      handler.progress = context.progress;
      return handler.release.promise;
    },
  };
  const logic: AnyActorLogic =
    kind === 'machine' ? createJobLogic(options) : createLightJobLogic(options);
  const parent = createActor(
    setup({
      actors: {
        job: logic,
        connection: fromCallback<{ type: 'SEND'; frame: OutboundFrame }>(({ receive }) => {
          receive((event) => frames.push(event.frame));
        }),
      },
    }).createMachine({
      // Without a connection (a harness, or a worker whose connection has closed), a frame
      // goes nowhere: it must not break the job.
      ...(connection ? { invoke: { src: 'connection', systemId: 'connection' } } : {}),
      // Dispatched under token 3: a transient job's frames carry 0, its JOB_ENDED the 3.
      entry: spawnChild('job', {
        id: 'job:j',
        input: { job: jobFrame('j', 3, 'transient') },
      }),
      on: { '*': { actions: ({ event }) => told.push(event) } },
    }),
  ).start();
  const job = parent.getSnapshot().children['job:j']!;
  await tick();
  for (const step of steps) {
    if ('work' in step && step.work === 'succeed') handler.release.resolve({ ok: 1 });
    if ('work' in step && step.work === 'fail') handler.release.reject(new Error('bad input'));
    if ('work' in step && step.work === 'progress') handler.progress(0.5, 'halfway');
    if ('command' in step) job.send(step.command);
    if ('stop' in step) parent.stop();
    await tick();
  }
  const snapshot = job.getSnapshot();
  const seen = {
    value: snapshot.value,
    ended: hasTag(job, 'ended'),
    outcome: snapshot.context.outcome,
    frames,
    told: told.map(({ endedAt: _, ...event }) => event),
    aborted: signal?.aborted ? (signal.reason as JobAbortedError).reason : undefined,
  };
  parent.stop();
  return seen;
}

const CASES: Array<[string, Step[]]> = [
  ['a result', [{ work: 'succeed' }]],
  ['progress, then a result', [{ work: 'progress' }, { work: 'succeed' }]],
  ['a handler that throws', [{ work: 'fail' }]],
  ['a revocation', [{ command: { type: 'JOB_REVOKED', reason: 'cancelled' } }]],
  ['a newer dispatch', [{ command: { type: 'JOB_SUPERSEDED' } }]],
  ['shutdown out of time', [{ command: { type: 'JOB_INTERRUPTED' } }]],
  ['vLLM failing', [{ command: { type: 'JOB_FAILED', message: 'vLLM exited' } }]],
  [
    'a result, then a late command',
    [{ work: 'succeed' }, { command: { type: 'JOB_REVOKED', reason: 'x' } }],
  ],
  ['running, and nothing yet', []],
];

describe("a transient job's light actor", () => {
  it.each(CASES)('does what the job machine does on %s', async (_, steps) => {
    const machine = await run('machine', steps);
    const light = await run('light', steps);
    expect(light).toEqual(machine);
    expect(machine.frames.every((frame) => 'fence_token' in frame && frame.fence_token === 0)).toBe(
      true,
    );
  });

  it('ends as the machine does: tagged, its outcome kept, its owner told once', async () => {
    const light = await run('light', [{ command: { type: 'JOB_FAILED', message: 'vLLM exited' } }]);
    expect(light).toEqual({
      value: 'failed',
      ended: true,
      outcome: { kind: 'error', message: 'vLLM exited' },
      frames: [{ type: 'job_error', job_id: 'j', error: 'vLLM exited', fence_token: 0 }],
      told: [
        {
          type: 'JOB_ENDED',
          state: 'failed',
          jobId: 'j',
          fenceToken: 3,
          outcome: { kind: 'error', message: 'vLLM exited' },
        },
      ],
      aborted: 'engine_failed',
    });
  });

  it('aborts its handler when its owner stops it mid-run, as the machine does', async () => {
    const light = await run('light', [{ stop: true }]);
    expect(light.aborted).toBe('shutdown');
    expect(light).toEqual(await run('machine', [{ stop: true }]));
  });

  it('ends as the machine does when no connection is there to take its frame', async () => {
    const steps: Step[] = [{ work: 'succeed' }];
    const light = await run('light', steps, { connection: false });
    expect(light).toMatchObject({ value: 'result', ended: true, frames: [] });
    expect(light.told).toEqual([expect.objectContaining({ type: 'JOB_ENDED', fenceToken: 3 })]);
    expect(light).toEqual(await run('machine', steps, { connection: false }));
  });
});
