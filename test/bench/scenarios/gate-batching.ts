/**
 * What batching the gate's events could save, at most (issue 17): CPU µs per job, in this process
 * with no I/O, of the real gate running transient jobs as light actors, one `JOB_OFFERED` per job
 * and one `JOB_ENDED` per end, against a bound: a machine that does the gate's per-job work
 * (spawn `job:<id>`, record the run, release it into the settled memory, stop the child) with
 * one event per read of offers and one per tick of ends, and nothing else (no guards, no
 * refusals, no waiting line, no logs, no emitted reports). The bound is not a design: it shows
 * the most one event per batch could take off a small job's CPU, to read the throughput rows by.
 *
 * Both sides see the same traffic: offers 8 to a read (capacity 8; the local queue's reads carry
 * about that many job frames), each job's work ending in the next tick, as a handler that returns
 * at once does in the SDK.
 */
import {
  type ActorLogic,
  type AnyActorLogic,
  assign,
  createActor,
  type EventObject,
  enqueueActions,
  fromCallback,
  setup,
} from 'xstate';
import { DEFAULTS } from '../../../machines/defaults.ts';
import { gateMachine } from '../../../machines/gate.machine.ts';
import { jobActorId } from '../../../machines/job-actors.ts';
import { type LightJobSnapshot, lightJobLogic } from '../../../machines/light-job.ts';
import { CONNECTION_ID } from '../../../machines/outbound.ts';
import { noRecentJobs, remember } from '../../../machines/recent-jobs.ts';
import { emptyRecord, withoutEntry } from '../../../machines/records.ts';
import { type RunningJob, withRun } from '../../../machines/running-jobs.ts';
import type { JobEndedEvent, JobFrame } from '../../../machines/types.ts';
import { jobFrame } from '../../support/job-frame.ts';
import type { Scenario } from '../registry.ts';
import { alternatingMedians, cpuMicros, round } from '../stats.ts';

const JOBS_PER_ROUND = 16_000;
const READ = 8;

type JobLogic = ActorLogic<LightJobSnapshot, EventObject, { job: JobFrame }>;

/** Light jobs whose work succeeds when `finish` runs (the next tick, as a bench round drives). */
function lightJobs(finishers: Array<() => void>): JobLogic {
  return lightJobLogic({
    startWork: ({ context, self }) => {
      finishers.push(() =>
        self.send({ type: 'WORK_SUCCEEDED', jobId: context.jobId, result: { ok: true }, size: 0 }),
      );
    },
    abortWork: () => undefined,
  });
}

/** Where the bound's jobs tell their ends: collected, for the bound's gate to take once per tick. */
type EndCollector = { send(event: JobEndedEvent): void };

/**
 * `logic` with its end told to `collector` instead of its parent: its scope's `self` is seen with
 * `collector` as its parent (one such view per actor, kept on it; the actor's own parent stays the
 * gate, which stops it).
 */
function endsTo(logic: JobLogic, collector: EndCollector): JobLogic {
  const VIEW = Symbol('ends to the collector');
  type Viewed = { [VIEW]?: object };
  const viewOf = (self: object & Viewed) => {
    self[VIEW] ??= Object.create(self, { _parent: { value: collector } }) as object;
    return self[VIEW];
  };
  return {
    ...logic,
    transition: (snapshot, event, scope) =>
      logic.transition(snapshot, event, {
        ...scope,
        self: viewOf(scope.self) as typeof scope.self,
      }),
  };
}

type BatchEvent = { type: 'OFFERS'; jobs: JobFrame[] } | { type: 'ENDS'; ends: JobEndedEvent[] };

/** The bound: the gate's per-job work, one event per batch. */
function batchGate(job: JobLogic) {
  return setup({
    types: { events: {} as BatchEvent },
    actors: { lightJob: job },
  }).createMachine({
    context: { running: emptyRecord<RunningJob>(), settled: noRecentJobs },
    on: {
      OFFERS: {
        // One assign spawns and records them all, as the gate's startOffered does one job.
        actions: assign(({ context, event, spawn }) => {
          let running = context.running;
          for (const offered of event.jobs) {
            spawn('lightJob', { id: jobActorId(offered.job_id), input: { job: offered } });
            running = withRun(running, offered);
          }
          return { running };
        }),
      },
      ENDS: {
        actions: enqueueActions(({ context, event, enqueue }) => {
          let { running, settled } = context;
          for (const end of event.ends) {
            running = withoutEntry(running, end.jobId);
            settled = remember(settled, end.jobId, end.fenceToken, DEFAULTS.settledMemory);
            enqueue.stopChild(jobActorId(end.jobId));
          }
          enqueue.assign({ running, settled });
        }),
      },
    },
  });
}

/** A root with a connection that takes the jobs' frames and does nothing, and `gate` in it. */
function rootOf(gate: AnyActorLogic, input?: object) {
  return setup({
    actors: { gate, connection: fromCallback(() => undefined) },
  }).createMachine({
    invoke: [
      { src: 'connection', systemId: CONNECTION_ID },
      { src: 'gate', id: 'gate', input },
    ],
  });
}

const nextTick = () => new Promise<void>((resolve) => setImmediate(resolve));

/** CPU µs per job of one round on one side; every job's actor must be gone at its end. */
async function roundOf(side: 'gate' | 'bound', r: number): Promise<number> {
  const finishers: Array<() => void> = [];
  const ends: JobEndedEvent[] = [];
  const gate =
    side === 'gate'
      ? gateMachine.provide({
          actors: { lightJob: lightJobs(finishers) },
          actions: { log: () => undefined },
        })
      : batchGate(endsTo(lightJobs(finishers), { send: (end) => ends.push(end) }));
  const root = createActor(rootOf(gate, { capacity: READ })).start();
  const ref = root.getSnapshot().children.gate!;
  const started = cpuMicros();
  for (let i = 0; i < JOBS_PER_ROUND; i += READ) {
    const jobs = Array.from({ length: READ }, (_, k) =>
      jobFrame(`job-${r}-${i + k}`, 1, 'transient', { n: 1 }),
    );
    if (side === 'gate') for (const job of jobs) ref.send({ type: 'JOB_OFFERED', job });
    else ref.send({ type: 'OFFERS', jobs });
    await nextTick();
    for (const finish of finishers.splice(0)) finish();
    if (side === 'bound') ref.send({ type: 'ENDS', ends: ends.splice(0) });
    await nextTick();
  }
  const micros = (cpuMicros() - started) / JOBS_PER_ROUND;
  const left = Object.keys(ref.getSnapshot().children).length;
  root.stop();
  if (left !== 0) throw new Error(`${side}: ${left} job actors still running after their jobs`);
  return micros;
}

export const gateBatchingScenario: Scenario = {
  name: 'reference/gate-batching-bound',
  describe:
    "CPU µs per transient job in the gate: one event per offer and per end, against the most one event per batch could save (the gate's per-job work alone)",
  run: async (context) => {
    const { gate, bound } = await alternatingMedians(
      ['gate', 'bound'] as const,
      context.rounds,
      roundOf,
    );
    return [
      {
        scenario: 'reference/gate-batching-bound',
        cpu_us_per_job: gate,
        batched_bound_us: bound,
        saving_bound_us: round(gate - bound),
        note: `a transient job through the gate: ${gate} µs with an event per offer and per end; the gate's per-job work alone, one event per read of ${READ} offers and per tick of ends: ${bound} µs`,
      },
    ];
  },
};
