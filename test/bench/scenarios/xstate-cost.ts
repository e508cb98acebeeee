/**
 * What XState itself costs per job on this machine, measured in this process with no I/O: the
 * reference for reading the small-job throughput rows. Three figures, CPU µs per job (median
 * of alternating rounds):
 *   - event: one event to a one-state machine whose only action is an assign;
 *   - child: a child machine per job, keyed by its job id (spawn, one event, it tells the
 *     parent, the parent stops it): the least an actor per job costs;
 *   - job: the real job machine's whole life for one persisted job (spawned with work that
 *     succeeds at once, settles inline, stopped on JOB_ENDED);
 *   - transient: the same for one transient job;
 *   - light: a transient job's whole life as the worker runs it, the light actor that takes the
 *     job machine's rules without the machine (machines/light-job.ts).
 * The SDK's budget for a job at half of floor 1's rate is about twice the queue's CPU per job
 * (the queue, not floor 1, sets floor 1's rate), so these show how much of it is spent before
 * any socket, JSON or validation work.
 */
import {
  type AnyActorLogic,
  assign,
  createActor,
  fromCallback,
  sendParent,
  setup,
  spawnChild,
  stopChild,
} from 'xstate';
import { jobMachine } from '../../../machines/job.machine.ts';
import { lightJobLogic } from '../../../machines/light-job.ts';
import { CONNECTION_ID } from '../../../machines/outbound.ts';
import type { JobFrame } from '../../../machines/types.ts';
import { jobFrame } from '../../support/job-frame.ts';
import type { Scenario } from '../registry.ts';
import { alternatingMedians, cpuMicros } from '../stats.ts';

const JOBS_PER_ROUND = 10_000;

type Job = { type: 'START'; job: JobFrame } | { type: 'JOB_ENDED'; jobId: string };

/** A parent that spawns `child` per START (keyed by job id) and stops it on JOB_ENDED. */
function parentOf(child: AnyActorLogic) {
  return setup({
    types: { events: {} as Job },
    actors: {
      child,
      // Leases send their frames to the connection; this one takes them and does nothing.
      connection: fromCallback(() => undefined),
    },
  }).createMachine({
    invoke: { src: 'connection', systemId: CONNECTION_ID },
    on: {
      START: {
        actions: spawnChild('child', {
          id: ({ event }) => (event as Extract<Job, { type: 'START' }>).job.job_id,
          input: ({ event }) => ({ job: (event as Extract<Job, { type: 'START' }>).job }),
        }),
      },
      JOB_ENDED: { actions: stopChild(({ event }) => (event as { jobId: string }).jobId) },
    },
  });
}

const minimalChild = setup({ types: { input: {} as { job: JobFrame } } }).createMachine({
  context: ({ input }) => ({ jobId: input.job.job_id }),
  initial: 'held',
  states: {
    held: {
      on: {
        DONE: {
          target: 'ended',
          actions: sendParent(({ context }) => ({ type: 'JOB_ENDED', jobId: context.jobId })),
        },
      },
    },
    ended: {},
  },
});

const job = jobMachine.provide({
  actions: {
    startWork: ({ context, self }) => {
      self.send({ type: 'WORK_SUCCEEDED', jobId: context.jobId, result: { ok: true }, size: 0 });
    },
    abortWork: () => undefined,
  },
});

const lightJob = lightJobLogic({
  startWork: ({ context, self }) => {
    self.send({ type: 'WORK_SUCCEEDED', jobId: context.jobId, result: { ok: true }, size: 0 });
  },
  abortWork: () => undefined,
});

const counter = setup({}).createMachine({
  context: { events: 0 },
  on: { EVENT: { actions: assign({ events: ({ context }) => context.events + 1 }) } },
});

/** Every job's child was stopped (only the connection is left), or the figure means nothing. */
function stopWhenAllEnded(parent: { getSnapshot(): { children: object }; stop(): void }): void {
  const left = Object.keys(parent.getSnapshot().children).length - 1;
  parent.stop();
  if (left !== 0) throw new Error(`${left} job actors were still running after their jobs`);
}

/** Each job's whole life in `logic` (the job machine), one after another. */
function jobLives(
  jobId: (i: number) => string,
  mode: JobFrame['mode'],
  logic: AnyActorLogic = job,
): void {
  const parent = createActor(parentOf(logic)).start();
  for (let i = 0; i < JOBS_PER_ROUND; i += 1) {
    parent.send({ type: 'START', job: jobFrame(jobId(i), 1, mode) });
  }
  stopWhenAllEnded(parent);
}

/** CPU µs per job of `run` over `jobs` jobs, job ids fresh in every round. */
function perJob(run: (jobId: (i: number) => string) => void, round: number): number {
  const started = cpuMicros();
  run((i) => `job-${round}-${i}`);
  return (cpuMicros() - started) / JOBS_PER_ROUND;
}

const MEASURES = {
  event: () => {
    const actor = createActor(counter).start();
    for (let i = 0; i < JOBS_PER_ROUND; i += 1) actor.send({ type: 'EVENT' });
    actor.stop();
  },
  child: (jobId: (i: number) => string) => {
    const parent = createActor(parentOf(minimalChild)).start();
    for (let i = 0; i < JOBS_PER_ROUND; i += 1) {
      const id = jobId(i);
      parent.send({ type: 'START', job: jobFrame(id, 1, 'persisted') });
      parent.getSnapshot().children[id]?.send({ type: 'DONE' });
    }
    stopWhenAllEnded(parent);
  },
  job: (jobId: (i: number) => string) => jobLives(jobId, 'persisted'),
  transient: (jobId: (i: number) => string) => jobLives(jobId, 'transient'),
  light: (jobId: (i: number) => string) => jobLives(jobId, 'transient', lightJob),
} satisfies Record<string, (jobId: (i: number) => string) => void>;

export const xstateCostScenario: Scenario = {
  name: 'reference/xstate-per-job',
  describe:
    'CPU µs per job in XState alone: an event, a child machine per job, a persisted and a transient job, a transient job as the light actor',
  run: async (context) => {
    const names = Object.keys(MEASURES) as Array<keyof typeof MEASURES>;
    const medians = await alternatingMedians(names, context.rounds, (name, r) =>
      perJob(MEASURES[name], r),
    );
    const { event, child, transient, light } = medians;
    const jobLife = medians.job;
    return [
      {
        scenario: 'reference/xstate-per-job',
        cpu_us_per_job: jobLife,
        event_us: event,
        child_machine_us: child,
        job_us: jobLife,
        transient_job_us: transient,
        light_job_us: light,
        note: `XState alone, CPU per job: an event ${event} µs; a child machine per job ${child} µs; a persisted job's whole life ${jobLife} µs, a transient one's ${transient} µs in the job machine, ${light} µs as the light actor`,
      },
    ];
  },
};
