/**
 * The gate, walked against a real worker (the worker machine with its real gate, connection
 * and job actors) connected to the local queue. Jobs, revocations and invalid job frames are
 * real frames from the queue; a job ends when its handler is released, or at once when the
 * gate told it to end (revoked, cut off, failed); pause, resume and drain come through the
 * gate's own events as the SDK sends them, and the worker's commands to cut off or fail every
 * job as the worker sends them, and vLLM's loss and return of health as the worker relays
 * them; backpressure readings come from a test-fed source in place of
 * vLLM's /metrics.
 */
import { expect } from 'vitest';
import {
  type Actor,
  type AnyEventObject,
  type AnyMachineSnapshot,
  createActor,
  type EventObject,
  fromCallback,
} from 'xstate';
import { DEFAULTS } from '../../machines/defaults.ts';
import { gateMachine } from '../../machines/gate.machine.ts';
import type { RecentJobs } from '../../machines/recent-jobs.ts';
import type { RunningJob } from '../../machines/running-jobs.ts';
import type { JobFrame } from '../../machines/types.ts';
import { eventIs, type LocalQueue, startLocalQueue } from '../../src/tools/queue/index.ts';
import { instantEngine } from '../../src/worker/instant-engine.ts';
import { createWorkerLogic } from '../../src/worker/logic.ts';
import { describeWorker } from '../../src/worker/state.ts';
import { eventually } from '../support/eventually.ts';
import { jobFrame } from '../support/job-frame.ts';
import { type CapturedLogs, captureLogs } from '../support/log-capture.ts';
import { deferred } from '../support/sdk-worker.ts';
import type { CoverageRecorder } from './coverage.ts';
import { same, stateValueOf } from './expect.ts';
import { GateWitness, INVALID_JOB } from './gate.checks.ts';
import { expectedGatePath, type GateSettings } from './gate.oracle.ts';
import { RunLedger, wireViolations } from './invariants.ts';
import type { PlannedWalk } from './planner.ts';
import type { Driver } from './runner.ts';
import { modelSuite } from './suite.ts';

const job = (id: string, token: number, mode: JobFrame['mode']) => jobFrame(id, token, mode);

/**
 * Two dispatches of one persisted job (a newer token supersedes), two transient jobs: one with
 * token 0, one with a token its frames must not carry (a transient job's frames carry 0).
 */
const JOBS = [
  job('a', 1, 'persisted'),
  job('a', 2, 'persisted'),
  job('b', 0, 'transient'),
  job('c', 3, 'transient'),
];

/** The walk's worker: capacity 1, the default backpressure thresholds and memory. */
const CAPACITY = 1;
const SETTINGS: GateSettings = {
  capacity: CAPACITY,
  pauseThreshold: DEFAULTS.pauseThreshold,
  resumeThreshold: DEFAULTS.resumeThreshold,
  memorySize: DEFAULTS.settledMemory,
};

/** A suite's jobs (the frames the queue sends) and its worker's gate settings. */
type Part = { jobs: readonly JobFrame[]; settings: GateSettings };

class GateDriver implements Driver {
  readonly #part: Part;
  #queue!: LocalQueue;
  #worker!: Actor<ReturnType<typeof createWorkerLogic>>;
  #recorder!: CoverageRecorder;
  #feed: ((waiting: number) => void) | undefined;
  #handlers = new Map<string, ReturnType<typeof deferred<unknown>>>();
  readonly #ledger = new RunLedger();
  /** Runs (`id@token`) the gate told to end, whose JOB_ENDED the walk has yet to take. */
  readonly #ending = new Set<string>();
  /** Jobs the gate has handed the connection a `job_error` for, since the last offer. */
  readonly #refused = new Set<string>();
  /** The gate's log lines (refusals are `warn`, re-deliveries `info`, starts `debug`). */
  readonly #logs: CapturedLogs = captureLogs('debug');
  /** How often the gate told its parent, the worker, that it has drained. */
  #drainedNotices = 0;
  #refusals!: GateWitness;
  /** The events the walk caused so far, in order: what gate.oracle.ts reads. */
  readonly #events: AnyEventObject[] = [];

  constructor(part: Part) {
    this.#part = part;
  }

  async start(recorder: CoverageRecorder, walk: PlannedWalk): Promise<void> {
    this.#recorder = recorder;
    this.#refusals = new GateWitness(walk.path.steps, this.#part.settings.memorySize);
    this.#queue = await startLocalQueue();
    const logic = createWorkerLogic({
      url: `${this.#queue.wsUrl}/ws`,
      token: undefined,
      maxFrameBytes: 1 << 20,
      logger: this.#logs.logger,
      handler: (job) => {
        const release = deferred<unknown>();
        this.#ledger.ran(job.id, job.fenceToken);
        this.#handlers.set(`${job.id}@${job.fenceToken}`, release);
        return release.promise;
      },
      parts: {
        engine: instantEngine,
        backpressure: fromCallback(({ sendBack }) => {
          this.#feed = (waiting) => sendBack({ type: 'BACKPRESSURE_READING', waiting });
        }),
        flushTelemetry: async () => {},
        heartbeat: async () => true,
      },
    });
    this.#worker = createActor(logic, {
      id: 'worker',
      input: {
        workerId: 'w-gate',
        configId: 'cfg',
        capacity: this.#part.settings.capacity,
        settledMemory: this.#part.settings.memorySize,
      },
      inspect: (event) => {
        recorder.inspect(event);
        const sent = event.type === '@xstate.event' ? event.event : undefined;
        if (sent?.type === 'GATE_DRAINED') this.#drainedNotices += 1;
        if (sent?.type === 'SEND' && sent.frame?.type === 'job_error') {
          this.#refused.add(sent.frame.job_id);
        }
      },
    });
    this.#worker.start();
    await this.#queue.events.waitFor(eventIs('worker_registered'));
  }

  async cause(event: AnyEventObject): Promise<void> {
    this.#events.push(event);
    const mark = this.#recorder.mark();
    const gate = this.#worker.system.get('gate')!;
    this.#refusals.next();
    switch (event.type) {
      case 'JOB_OFFERED': {
        const { job_id, fence_token } = event.job as JobFrame;
        const { jobs } = this.#part;
        const frame = jobs.find((j) => j.job_id === job_id && j.fence_token === fence_token)!;
        const after = this.#queue.events.lastSeq;
        this.#refused.clear();
        this.#queue.faults.sendRaw('w-gate', JSON.stringify(frame));
        await this.#recorder.waitForEvent((seen) => sameEvent(seen, event), mark);
        // A refusal reaches the queue before the walk goes on, as a result does, so that no
        // later frame of the queue's (a revocation) crosses it on the wire. One that never
        // arrives (a frame the queue could not read) is named by the refusal invariants.
        if (this.#refused.has(job_id)) {
          const refusal = eventIs(
            'frame_in',
            (e) => e.frame.type === 'job_error' && e.frame.job_id === job_id,
          );
          await this.#queue.events.waitFor(refusal, { after, timeoutMs: 2_000 }).catch(() => {});
        }
        return;
      }
      case 'JOB_ENDED': {
        const run = `${event.jobId}@${event.fenceToken}`;
        // A run the gate told to end has ended already: its end is among the events seen.
        if (this.#ending.has(run)) {
          this.#ending.delete(run);
          return;
        }
        // Its result reaches the queue before the walk goes on (the invariants read it).
        const after = this.#queue.events.lastSeq;
        this.#handlers.get(run)!.resolve({ done: event.jobId });
        const result = eventIs(
          'frame_in',
          (e) => e.frame.type === 'job_result' && e.frame.job_id === event.jobId,
        );
        await this.#queue.events.waitFor(result, { after });
        break;
      }
      case 'JOB_REVOKED':
        this.#endingRuns([event.jobId]);
        this.#queue.faults.sendRaw(
          'w-gate',
          JSON.stringify({ type: 'job_revoked', job_id: event.jobId, reason: 'model walk' }),
        );
        break;
      case 'JOB_REJECTED':
        this.#queue.faults.sendRaw('w-gate', INVALID_JOB);
        break;
      case 'BACKPRESSURE_READING':
        this.#feed!(event.waiting as number);
        break;
      case 'INTERRUPT_JOBS':
      case 'FAIL_JOBS':
      case 'ABANDON_JOBS':
        this.#endingRuns(Object.keys(gate.getSnapshot().context.running));
        gate.send(event);
        break;
      default:
        gate.send(event);
    }
    await this.#recorder.waitForEvent((seen) => sameEvent(seen, event), mark);
  }

  /** Runs of these jobs that run now end as soon as the gate tells them to. */
  #endingRuns(jobIds: string[]): void {
    const running = this.#worker.system.get('gate')!.getSnapshot().context.running;
    for (const jobId of jobIds) {
      if (running[jobId] !== undefined) this.#ending.add(`${jobId}@${running[jobId].fenceToken}`);
    }
  }

  realValue() {
    return this.#worker.system.get('gate')?.getSnapshot().value;
  }

  async check(snapshot: AnyMachineSnapshot): Promise<void> {
    await this.#checkPath(snapshot);
    const state = describeWorker(this.#worker);
    // The jobs the model runs are the jobs whose handlers run here, but for those told to end.
    const running = Object.entries(snapshot.context.running as Record<string, RunningJob>)
      .filter(([, run]) => run.ending === undefined)
      .map(([id, run]) => `${id}@${run.fenceToken}`)
      .sort();
    const real = Object.entries(state.jobs)
      .map(([id, j]) => `${id}@${j.fenceToken}`)
      .sort();
    expect(real).toEqual(running);
    const seen = () => this.#queue.workers().find((w) => w.workerId === 'w-gate');
    if (snapshot.matches('paused') || snapshot.matches('unhealthy'))
      await eventually(() => seen()?.paused === true, 'the queue told to pause', seen);
    if (snapshot.matches('accepting')) {
      await eventually(() => seen()?.paused === false, 'the queue told to resume', seen);
    }
    if (snapshot.matches('draining') || snapshot.matches('drained')) {
      await eventually(() => seen()?.draining === true, 'the queue told to drain', seen);
    }
    // Jobs waiting for a slot: the same line, in the same order.
    const waitingIds = (jobs: JobFrame[]) => jobs.map((j) => `${j.job_id}@${j.fence_token}`);
    const gate = this.#worker.system.get('gate')!.getSnapshot();
    expect(waitingIds(gate.context.waiting)).toEqual(waitingIds(snapshot.context.waiting));
  }

  /**
   * The model's state and records where the walk's events must have led (gate.oracle.ts), and
   * the handlers started for exactly the runs the gate must have started.
   */
  async #checkPath(snapshot: AnyMachineSnapshot): Promise<void> {
    const { settings } = this.#part;
    const expected = expectedGatePath(this.#events, settings);
    expect(snapshot.matches(stateValueOf(expected.stage)), `the gate in ${expected.stage}`).toBe(
      true,
    );
    expect(snapshot.hasTag('drained')).toBe(expected.stage === 'drained');
    const runs = Object.entries(snapshot.context.running as Record<string, RunningJob>).map(
      ([id, run]) => `${id}@${run.fenceToken}${run.ending ? '!' : ''}`,
    );
    const expectedRuns = [...expected.running].map(
      ([id, run]) => `${id}@${run.token}${run.ending ? '!' : ''}`,
    );
    expect(runs.sort(), 'the runs').toEqual(expectedRuns.sort());
    const line = (jobs: JobFrame[]) => jobs.map((j) => `${j.job_id}@${j.fence_token}`);
    expect(line(snapshot.context.waiting), 'the waiting line').toEqual(line(expected.waiting));
    // Every start, in order: a job runs again only once the gate has forgotten it.
    const started = () => this.#ledger.starts();
    await eventually(() => same(started(), expected.started), 'the runs started', started);
    // Each start said at debug level; no job actor outlives its run; the parent told of a drain.
    const said = (msg: string) => this.#logs.entries().filter((entry) => entry.msg === msg);
    const starts = said('job started').map((entry) => `${entry.job_id}@${entry.fence_token}`);
    expect(starts, 'the start lines').toEqual(expected.started);
    const gate = this.#worker.system.get('gate')!.getSnapshot();
    const actors = Object.keys(gate.children).filter((id) => id.startsWith('job:'));
    expect(actors.sort(), 'the job actors').toEqual(
      [...expected.running.keys()].map((id) => `job:${id}`).sort(),
    );
    await eventually(
      () => this.#drainedNotices === expected.drainedNotices,
      'GATE_DRAINED told to the worker',
      () => this.#drainedNotices,
    );
    const revocations = [
      ...said('revoked job removed from the waiting line: it will not run'),
      ...said('revocation for a job not running here: nothing to stop'),
    ];
    expect(revocations.length, 'the revocation lines').toBe(expected.revocationLines.length);
    // What the gate holds to recognise re-deliveries stays bounded by the memory it was given.
    const held = entriesOf(gate.context.settled).length;
    expect(held, 'the settlements the gate holds').toBeLessThanOrEqual(2 * settings.memorySize);
  }

  async invariants(): Promise<string[]> {
    // Within the memory no job runs twice under one token; a forgotten one runs again (its
    // starts, repeats included, are checked against the oracle at every step).
    const forgets = this.#part.settings.memorySize < DEFAULTS.settledMemory;
    return [
      ...wireViolations(this.#queue, 'w-gate'),
      ...(forgets ? [] : this.#ledger.violations()),
      ...(await this.#refusals.violations(this.#queue, 'w-gate', this.#logs)),
    ];
  }

  async stop(): Promise<void> {
    this.#worker.stop();
    await this.#queue.close();
  }
}

const offered = (job: JobFrame) => ({ type: 'JOB_OFFERED', job });
const backpressure = (waiting: number) => ({ type: 'BACKPRESSURE_READING', waiting });
const revoked = (jobId: string) => ({ type: 'JOB_REVOKED', jobId });

const ended = (job: JobFrame) => ({
  type: 'JOB_ENDED',
  state: 'result',
  jobId: job.job_id,
  fenceToken: job.fence_token,
  outcome: { kind: 'result', delivery: 'inline' },
  endedAt: 0,
});

/** The event the walk caused, among those the real gate received. */
function sameEvent(seen: EventObject, event: AnyEventObject): boolean {
  const got = seen as AnyEventObject;
  if (seen.type !== event.type) return false;
  if (event.type === 'JOB_ENDED') {
    return got.jobId === event.jobId && got.fenceToken === event.fenceToken;
  }
  if (event.type === 'JOB_REJECTED') return got.rejection.jobId === 'x';
  if (event.type === 'JOB_REVOKED') return got.jobId === event.jobId;
  return JSON.stringify(seen) === JSON.stringify(event);
}

/**
 * A run the gate told to end comes back at once: nothing else happens before its end. An end
 * comes only from a run that runs.
 */
function causable(snapshot: AnyMachineSnapshot, event: EventObject): boolean {
  const running = snapshot.context.running as Record<string, RunningJob>;
  const ending = Object.keys(running).filter((id) => running[id]!.ending);
  const e = event as AnyEventObject;
  if (ending.length > 0) return e.type === 'JOB_ENDED' && e.jobId === ending[0];
  if (e.type === 'JOB_ENDED') return running[e.jobId]?.fenceToken === e.fenceToken;
  return true;
}

/** A run told to end ends at once by itself: the real world does not rest there. */
function hasEndingRun(snapshot: AnyMachineSnapshot): boolean {
  return Object.values(snapshot.context.running as Record<string, RunningJob>).some(
    (run) => run.ending,
  );
}

/** Every entry of the gate's memory, forgotten or not, oldest first. */
function entriesOf(recent: RecentJobs): Array<{ jobId: string; fenceToken: number; seq: number }> {
  return [...recent.chunks.flatMap((chunk) => Object.values(chunk.jobs)), ...recent.open];
}

/**
 * What the guards read: the state, the runs (and which were told to end), the line, and the
 * settlements remembered, in order (a count of settlements would make every re-run a new state).
 */
function stateKey(snapshot: AnyMachineSnapshot): string {
  const { running, waiting, settled, memorySize } = snapshot.context;
  const runs = Object.entries(running as Record<string, RunningJob>).map(
    ([id, run]) => `${id}@${run.fenceToken}${run.ending ? '!' : ''}`,
  );
  const line = (waiting as JobFrame[]).map((j) => `${j.job_id}@${j.fence_token}`);
  const recent = settled as RecentJobs;
  const remembered = entriesOf(recent)
    .filter((entry) => recent.count - entry.seq <= memorySize)
    .sort((a, b) => a.seq - b.seq)
    .map((entry) => `${entry.jobId}@${entry.fenceToken}`);
  return JSON.stringify([snapshot.value, runs.sort(), line, remembered]);
}

modelSuite({
  longWalks: true,
  machine: gateMachine,
  input: { capacity: CAPACITY },
  events: [
    ...JOBS.map(offered),
    ...JOBS.map(ended),
    { type: 'BACKPRESSURE_READING', waiting: 0 },
    { type: 'BACKPRESSURE_READING', waiting: 3 },
    revoked('a'),
    revoked('b'),
    revoked('c'),
    {
      type: 'JOB_REJECTED',
      rejection: { ok: false, reason: 'invalid_fields', preview: '', detail: '', jobId: 'x' },
    },
    { type: 'FAIL_JOBS', message: 'vLLM failed: model walk' },
    { type: 'ABANDON_JOBS', message: 'vLLM was unhealthy: model walk' },
  ],
  filterEvents: causable,
  serializeState: stateKey,
  restless: hasEndingRun,
  driver: () => new GateDriver({ jobs: JOBS, settings: SETTINGS }),
  scenarios: [
    // A transient job dispatched with a token runs to its result, which carries token 0.
    [offered(JOBS[3]!), ended(JOBS[3]!)],
    // Written from worker.md, not planned on the machine: a transition the machine lost would
    // take its walk out of the plan, and these still ask for it.
    // Backpressure stays over the threshold: dispatch stays paused.
    [backpressure(3), backpressure(3), backpressure(0)],
    // A job waits; vLLM turns unhealthy; the running one ends; on recovery the waiting one runs.
    [
      offered(JOBS[0]!),
      offered(JOBS[2]!),
      { type: 'ENGINE_UNHEALTHY' },
      ended(JOBS[0]!),
      { type: 'ENGINE_RECOVERED' },
    ],
    // A newer dispatch of a waiting job takes its place in the line.
    [offered(JOBS[2]!), offered(JOBS[0]!), offered(JOBS[1]!), ended(JOBS[2]!)],
    // Paused and unhealthy: a pause or resume meanwhile is what holds once vLLM recovers.
    [{ type: 'ENGINE_UNHEALTHY' }, { type: 'PAUSE_REQUESTED' }, { type: 'ENGINE_RECOVERED' }],
    [
      { type: 'PAUSE_REQUESTED' },
      { type: 'ENGINE_UNHEALTHY' },
      { type: 'RESUME_REQUESTED' },
      { type: 'ENGINE_RECOVERED' },
    ],
    // A revocation of a job the worker does not hold; a drain asked twice is answered twice.
    [revoked('c'), { type: 'DRAIN' }, { type: 'DRAIN' }],
  ],
});

/**
 * A small memory (two settlements) on three jobs: a job settled more than two settlements ago
 * is forgotten and runs again when re-delivered under the same token; one within the last two
 * is still a re-delivery. What the gate holds stays bounded as settlements go on.
 */
const REMEMBERED = [job('p', 1, 'persisted'), job('q', 0, 'transient'), job('r', 2, 'persisted')];
const SMALL_MEMORY: GateSettings = { ...SETTINGS, memorySize: 2 };
const [P, Q, R] = REMEMBERED as [JobFrame, JobFrame, JobFrame];
const JOB_EVENTS = ['JOB_OFFERED', 'JOB_ENDED', 'JOB_REVOKED'];

modelSuite({
  machine: gateMachine,
  part: 'memory',
  longWalks: true,
  // The default suite walks every pair; this one adds what only forgetting reaches.
  walkPairs: false,
  input: { capacity: CAPACITY, memorySize: SMALL_MEMORY.memorySize },
  events: [
    ...REMEMBERED.map(offered),
    ...REMEMBERED.map(ended),
    ...REMEMBERED.map((j) => revoked(j.job_id)),
  ],
  // Jobs only: the default suite walks pause, resume, drain, vLLM's health and the rest.
  filterEvents: (snapshot, event) => JOB_EVENTS.includes(event.type) && causable(snapshot, event),
  serializeState: stateKey,
  restless: hasEndingRun,
  driver: () => new GateDriver({ jobs: REMEMBERED, settings: SMALL_MEMORY }),
  scenarios: [
    // p, q and r settle; p, then q, three settlements back each, are forgotten and run again;
    // p, two back, is still a re-delivery; r, three back, runs again, and after it p.
    [
      ...[P, Q, R, P, Q].flatMap((j) => [offered(j), ended(j)]),
      offered(P),
      offered(R),
      ended(R),
      offered(P),
    ],
  ],
});
