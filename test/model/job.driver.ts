/**
 * The job model's driver: a real worker (capacity 1) on the local queue, one job (persisted,
 * with a result_upload_url; or transient), and the job actor the worker's gate runs for it
 * (the job machine; for a transient job the light actor that runs the machine's rules). The
 * handler's work ends when the walk says (a small or a large result, a throw, progress on the
 * way); revocation is the queue's; supersession is a second dispatch with a higher token; interruption is a
 * shutdown whose grace period runs out; an engine failure is the worker's engine (the real
 * engine machine, its vLLM a stand-in) failing; the upload succeeds, fails or hangs at the
 * queue's offload. Renewals and the grace period run on a manual clock, fired as steps.
 */
import { expect } from 'vitest';
import {
  type Actor,
  type AnyActorRef,
  type AnyEventObject,
  type AnyMachineSnapshot,
  createActor,
  type EventObject,
  fromCallback,
} from 'xstate';
import { DEFAULTS } from '../../machines/defaults.ts';
import { jobActorId } from '../../machines/job-actors.ts';
import { LightJobSnapshot } from '../../machines/light-job.ts';
import type { JobEndedEvent, JobFrame } from '../../machines/types.ts';
import type { JobAbortedError } from '../../src/errors.ts';
import type { Job } from '../../src/jobs/types.ts';
import { eventIs, type LocalQueue, startLocalQueue } from '../../src/tools/queue/index.ts';
import { createWorkerLogic } from '../../src/worker/logic.ts';
import { type CrashableEngine, crashableEngine } from '../support/crashable-engine.ts';
import { eventually } from '../support/eventually.ts';
import { captureLogs } from '../support/log-capture.ts';
import { ManualClock } from '../support/manual-clock.ts';
import { deferred } from '../support/sdk-worker.ts';
import type { CoverageRecorder } from './coverage.ts';
import { RunLedger, wireViolations } from './invariants.ts';
import { JobWitness } from './job.checks.ts';
import { expectedEnd, expectedLines, jobLines } from './job.oracle.ts';
import type { PlannedWalk } from './planner.ts';
import type { Driver } from './runner.ts';

const WORKER = 'w-job';
/** Delays no other timer of the worker uses, so that firing one fires only what is meant. */
const RENEW_MS = 7_000;
const GRACE_MS = 3_000;
/** Real time: a hung PUT fails after this long. */
const UPLOAD_TIMEOUT_MS = 1_500;

/** What the handler returns: a small result, and one that must be offloaded. */
export const SMALL = { small: true };
const LARGE = { text: 'x'.repeat(DEFAULTS.offloadThresholdBytes + 1_024) };
/** A result exactly as large as the offload threshold (a JSON string: its quotes count): inline. */
const AT_THRESHOLD = 'x'.repeat(DEFAULTS.offloadThresholdBytes - 2);
/** The job_error a crash of the engine's vLLM gives every running job. */
export const ENGINE_ERROR = 'vLLM failed: vLLM exited on its own (exit code 1, signal none)';
export const UPLOAD_DONE = 'xstate.done.actor.0.job.running.uploading';
export const UPLOAD_ERROR = 'xstate.error.actor.0.job.running.uploading';

type Run = {
  job: Job;
  signal: AbortSignal;
  progress: (value?: number, message?: string) => void;
  release: ReturnType<typeof deferred<unknown>>;
};

export class JobDriver implements Driver {
  readonly #mode: JobFrame['mode'];
  #queue!: LocalQueue;
  readonly #clock = new ManualClock();
  readonly #engine: CrashableEngine = crashableEngine();
  #worker!: Actor<ReturnType<typeof createWorkerLogic>>;
  #job!: AnyActorRef;
  #recorder!: CoverageRecorder;
  #walk!: PlannedWalk;
  #step = 0;
  #from = 0;
  readonly #runs: Run[] = [];
  readonly #ledger = new RunLedger();
  /** What the job told the gate when it ended (the walk's run, and a newer one's). */
  readonly #ends: JobEndedEvent[] = [];
  /** The worker's log, at debug level: the job machine's lines are checked against the path. */
  readonly #logs = captureLogs('debug');
  #dispatched!: JobFrame;
  #witness!: JobWitness;
  #progressed = 0;
  #result: unknown;

  constructor(mode: JobFrame['mode']) {
    this.#mode = mode;
  }

  async start(recorder: CoverageRecorder, walk: PlannedWalk): Promise<void> {
    this.#recorder = recorder;
    this.#walk = walk;
    this.#queue = await startLocalQueue({ resultUploadUrls: true });
    this.#worker = createActor(this.#logic(), {
      id: 'worker',
      input: { workerId: WORKER, configId: 'cfg', capacity: 1 },
      clock: this.#clock,
      inspect: (event) => {
        recorder.inspect(event);
        if (event.type === '@xstate.event' && event.event.type === 'JOB_ENDED') {
          this.#ends.push(event.event as JobEndedEvent);
        }
      },
    });
    this.#worker.start();
    await this.#queue.events.waitFor(eventIs('worker_registered'));
    const { jobId } = this.#queue.createJob({
      payload: { n: 1 },
      config_id: 'cfg',
      mode: this.#mode,
    });
    const isJob = eventIs('frame_out', (e) => e.frame.type === 'job' && e.frame.job_id === jobId);
    this.#dispatched = (await this.#queue.events.waitFor(isJob)).frame as JobFrame;
    this.#witness = new JobWitness(this.#queue, WORKER, this.#dispatched);
    await eventually(() => this.#runs.length === 1, 'the handler runs');
    const gate = this.#worker.system.get('gate')!;
    this.#job = gate.getSnapshot().children[jobActorId(jobId)] as AnyActorRef;
    // The worker runs a transient job as the light actor: that is what this mode walks.
    expect(this.#job.getSnapshot() instanceof LightJobSnapshot).toBe(this.#mode === 'transient');
    this.#from = recorder.mark();
  }

  #logic() {
    return createWorkerLogic({
      url: `${this.#queue.wsUrl}/ws`,
      token: undefined,
      maxFrameBytes: 1 << 20,
      logger: this.#logs.logger,
      handler: (job, { signal, progress }) => {
        const release = deferred<unknown>();
        this.#ledger.ran(job.id, job.fenceToken);
        this.#runs.push({ job, signal, progress, release });
        return release.promise;
      },
      timings: {
        renewIntervalMs: RENEW_MS,
        gracePeriodMs: GRACE_MS,
        uploadTimeoutMs: UPLOAD_TIMEOUT_MS,
      },
      parts: {
        engine: this.#engine.logic,
        backpressure: fromCallback(() => undefined),
        flushTelemetry: async () => {},
        heartbeat: async () => true,
      },
    });
  }

  get #jobId(): string {
    return this.#dispatched.job_id;
  }

  get #token(): number {
    return this.#dispatched.fence_token;
  }

  async cause(event: AnyEventObject): Promise<void> {
    const later = this.#walk.events.slice(this.#step + 1);
    this.#step += 1;
    const run = this.#runs[0]!;
    switch (event.type) {
      case 'WORK_SUCCEEDED': {
        const large = event.size > DEFAULTS.offloadThresholdBytes;
        if (large) this.#arrangeUpload(later);
        this.#result =
          event.size === DEFAULTS.offloadThresholdBytes ? AT_THRESHOLD : large ? LARGE : SMALL;
        run.release.resolve(this.#result);
        break;
      }
      case 'WORK_FAILED':
        run.release.reject(new Error(event.message));
        break;
      case 'WORK_PROGRESS':
        this.#progressed += 1;
        run.progress(event.progress, event.message);
        break;
      case 'RENEW_DUE':
        this.#clock.fire(RENEW_MS);
        break;
      case 'JOB_REVOKED':
        this.#queue.faults.revokeJob(this.#jobId, { reason: event.reason });
        break;
      case 'JOB_SUPERSEDED': {
        const newer = { ...this.#dispatched, fence_token: this.#token + 1 };
        this.#queue.faults.sendRaw(WORKER, JSON.stringify(newer));
        break;
      }
      case 'JOB_INTERRUPTED':
        // A shutdown (the SDK's stop(), or a signal) whose grace period runs out: for the
        // worker's wait for jobs and for its connection's delivery at once.
        this.#worker.send({ type: 'SHUTDOWN_REQUESTED' });
        this.#clock.fireEach(GRACE_MS);
        break;
      case 'JOB_FAILED':
        this.#engine.crash();
        break;
      default:
      // The upload finishes on its own: it succeeds, fails or times out as arranged.
    }
    await this.#received((seen) => seen.type === event.type);
  }

  /** The PUT succeeds, fails at once, or hangs (and times out, or the lease leaves first). */
  #arrangeUpload(later: EventObject[]): void {
    const leaving = later.find((e) => e.type.startsWith('xstate.') || e.type.startsWith('JOB_'));
    if (leaving?.type === UPLOAD_DONE) return;
    if (leaving?.type === UPLOAD_ERROR && later[0] === leaving)
      this.#queue.faults.failNextResultPut();
    else this.#queue.faults.hangNextResultPut();
  }

  async #received(match: (event: AnyEventObject) => boolean): Promise<void> {
    this.#from = await this.#recorder.waitPast(match, this.#from);
  }

  realValue() {
    return this.#job.getSnapshot().value;
  }

  async check(snapshot: AnyMachineSnapshot): Promise<void> {
    const c = snapshot.context;
    const witness = this.#witness;
    // The end the walk's events must have led to, whatever the machine says (job.oracle.ts).
    const path = this.#walk.events.slice(0, this.#step);
    const expected = expectedEnd(this.#dispatched, path, ENGINE_ERROR);
    expect(
      snapshot.hasTag('ended') ? snapshot.value : undefined,
      'the end the path leads to',
    ).toEqual(expected?.state);
    expect(c.outcome, 'the outcome the path leads to').toEqual(expected?.outcome);
    // The real job's snapshot is tagged `ended` where the model's is (the light job's too).
    expect(this.#job.getSnapshot().hasTag('ended'), 'the job tagged ended').toBe(
      expected !== undefined,
    );
    if (expected !== undefined) this.#expectReleased();
    // The run told the gate its end once, with the end state and outcome the path leads to.
    const told = this.#ends.filter((end) => end.fenceToken === this.#token);
    const expectedTold = expected === undefined ? [] : [expected];
    expect(
      told.map(({ state, outcome }) => ({ state, outcome })),
      'the end told the gate',
    ).toEqual(expectedTold);
    // The job machine's own lines: renewals, and how an upload went (job.oracle.ts).
    const lines = expectedLines(this.#dispatched, path);
    const logged = () => jobLines(this.#logs.entries());
    await eventually(
      () => JSON.stringify(logged()) === JSON.stringify(lines),
      'the job lines',
      () => ({ logged: logged(), lines }),
    );
    await witness.renewed(c.renewals, this.#progressed);
    // A renewal is due while a persisted job runs, none once it ended (but a newer run's).
    const due = this.#clock.pending().filter((ms) => ms === RENEW_MS);
    const held =
      (snapshot.matches('running') && c.job.mode === 'persisted') || snapshot.matches('superseded');
    expect(due).toHaveLength(held ? 1 : 0);
    if (snapshot.matches({ running: 'working' })) expect(witness.outcomes()).toEqual([]);
    if (snapshot.matches({ running: 'uploading' })) await witness.uploading();
    if (['result', 'error', 'failed'].some((end) => snapshot.matches(end))) {
      await witness.settled(c.outcome, this.#result, c.result !== undefined);
      if (snapshot.matches('failed')) this.#expectAborted('engine_failed');
    }
    if (snapshot.matches('revoked') || snapshot.matches('superseded')) {
      this.#expectAborted(snapshot.value as 'revoked' | 'superseded');
      await witness.silenced(() => this.#runs[0]!.release.resolve(SMALL));
    }
    if (snapshot.matches('superseded')) {
      expect(this.#runs.map((r) => r.job.fenceToken)).toEqual([this.#token, this.#token + 1]);
    }
    if (snapshot.matches('interrupted')) {
      this.#expectAborted('shutdown');
      await witness.interrupted();
    }
  }

  /**
   * An ended run has left its owner: the gate holds no record of it and no actor for it (a
   * newer dispatch that superseded it runs under its own token).
   */
  #expectReleased(): void {
    const gate = this.#worker.system.get('gate') as AnyActorRef | undefined;
    // After a shutdown the worker has stopped its gate with everything in it.
    if (gate === undefined) return;
    const { context, children } = gate.getSnapshot();
    const run = context.running[this.#jobId] as { fenceToken: number } | undefined;
    expect(run?.fenceToken, 'the gate still holds the ended run').not.toBe(this.#token);
    if (run === undefined) {
      expect(children[jobActorId(this.#jobId)], "the ended run's actor still runs").toBeUndefined();
    }
  }

  #expectAborted(reason: JobAbortedError['reason']): void {
    const { signal } = this.#runs[0]!;
    expect(signal.aborted).toBe(true);
    expect((signal.reason as JobAbortedError).reason).toBe(reason);
  }

  invariants(): string[] {
    return [...wireViolations(this.#queue, WORKER), ...this.#ledger.violations()];
  }

  async stop(): Promise<void> {
    this.#worker.stop();
    await this.#queue.close();
  }
}
