/**
 * What the gate's refusals and its runs' end lines must look like outside, derived from the walk's model path (why the
 * gate refuses, in which state) and from the documents, never from machines/refusals.ts: a
 * check that reads the texts from the code it checks cannot fail.
 *
 * - Who gets a `job_error` (README, "Jobs that cannot run get an answer when someone waits for
 *   one"; docs/protocol.md, Draining): a transient job, with fence token 0 (protocol.md:
 *   transient frames carry 0); a persisted one is left to its lease and gets nothing.
 * - Which jobs are refused: a job offered while draining (always), or while vLLM is unhealthy,
 *   or when every slot and waiting place is taken, unless the gate has seen it under this token
 *   or a newer one (running, waiting, ran, or revoked while waiting); the waiting line, when the
 *   drain starts or the running jobs are given up for an unhealthy vLLM.
 * - What it says: the text per reason, as the queue's callers get it (the 502 detail that
 *   test/integration/sdk/jobs.test.ts pins); one `warn` line per refused job naming the reason,
 *   with its `job_id`, `config_id` and `reason` fields, "; left to its lease" added for a
 *   persisted one (README).
 * - An invalid job frame that names its job (README): a `job_error` for that job naming the bad
 *   field, token 0 when the frame had none; a `warn` line with the reason, the frame's preview
 *   and the job id.
 *
 * And every run's one end line (what an operator reads of a job): when it ends, how (from the
 * step that ended it or told it to end: its result, a revocation, a newer dispatch, shutdown,
 * vLLM failed or stayed unhealthy), at `info` or `warn`, with its job id, task, mode and outcome.
 */
import type { AnyMachineSnapshot, EventObject } from 'xstate';
import type { RunningJob } from '../../machines/running-jobs.ts';
import type { JobFrame } from '../../machines/types.ts';
import type { LocalQueue } from '../../src/tools/queue/index.ts';
import { type CapturedLogs, LEVELS } from '../support/log-capture.ts';
import { rememberedToken, type Settlement } from './gate.oracle.ts';
import { missingAndUnexpected } from './invariants.ts';

type Reason = 'at_capacity' | 'draining' | 'engine_unhealthy';

const TEXTS: Record<Reason, string> = {
  at_capacity: 'worker at capacity: every slot and waiting place is taken',
  draining: 'worker is draining (shutting down): the job was not started',
  engine_unhealthy: 'vLLM is unhealthy (its /health fails): the job was not started',
};
const TEXT_VALUES = Object.values(TEXTS);

/** The invalid job frame the walk's JOB_REJECTED sends: it lacks `config_id`. */
export const INVALID_JOB = JSON.stringify({ type: 'job', job_id: 'x' });
const INVALID_ANSWER = 'invalid job frame: ';
const IGNORED = 'ignored a frame from the queue: ';
const { info: INFO, warn: WARN } = LEVELS;

/** A run's end as its line says it: level, message, outcome label, error (for an error). */
type Ending = { level: number; msg: string; outcome: string; error?: string };

const ENDINGS: Record<string, Ending> = {
  result: { level: INFO, msg: 'job done', outcome: 'result' },
  revoked: { level: INFO, msg: 'job revoked by the queue', outcome: 'revoked' },
  superseded: { level: INFO, msg: 'job superseded by a newer dispatch', outcome: 'superseded' },
  shutdown: { level: WARN, msg: 'job cut off by shutdown', outcome: 'shutdown' },
  engine_unhealthy: {
    level: WARN,
    msg: 'job given up: vLLM stayed unhealthy; left to its lease, for the queue to re-dispatch',
    outcome: 'engine_unhealthy',
  },
};
/** A failed run's line: this, then its error. */
const FAILED = 'job failed: ';
const failedWith = (error: string): Ending => ({
  level: WARN,
  msg: `${FAILED}${error}`,
  outcome: 'error',
  error,
});
const END_MESSAGES = Object.values(ENDINGS).map((e) => e.msg);

type Step = { event: EventObject; state: AnyMachineSnapshot };

const runsOf = (s: AnyMachineSnapshot) => s.context.running as Record<string, RunningJob>;
const waitingOf = (s: AnyMachineSnapshot) => s.context.waiting as JobFrame[];
const isDraining = (s: AnyMachineSnapshot) => s.matches('draining') || s.matches('drained');

export class GateWitness {
  readonly #steps: readonly Step[];
  #step = 0;
  /** Each run that ended or was replaced, each job revoked while waiting, oldest first. */
  readonly #settlements: Settlement[] = [];
  /** How many settlements the gate remembers (README: the last 1 000). */
  readonly #memorySize: number;
  /** Frames and log lines the refusals so far must have produced, one signature each. */
  readonly #frames: string[] = [];
  readonly #lines: string[] = [];
  /** The end lines of the runs that have ended so far. */
  readonly #ends: string[] = [];

  /** `steps`: the walk's model path, the initial state first. */
  constructor(steps: readonly Step[], memorySize: number) {
    this.#steps = steps;
    this.#memorySize = memorySize;
  }

  /** The walk causes its next event: what that step refuses joins the expectations. */
  next(): void {
    const before = this.#steps[this.#step]!.state;
    this.#step += 1;
    const { event, state: after } = this.#steps[this.#step]!;
    for (const { job, reason } of this.#refusedBy(before, event, after)) this.#refused(job, reason);
    if (event.type === 'JOB_REJECTED') {
      this.#frames.push(
        frameSignature({ job_id: 'x', error: `${INVALID_ANSWER}config_id`, fence_token: 0 }),
      );
      this.#lines.push(
        rejectionSignature({
          level: WARN,
          msg: `${IGNORED}config_id`,
          reason: 'invalid_fields',
          preview: INVALID_JOB,
          job_id: 'x',
        }),
      );
    }
    for (const [jobId, run, ending] of this.#endsOf(before, event, after)) {
      this.#ends.push(endSignature({ ...ending, job_id: jobId, task: 'none', mode: run.mode }));
    }
    const revoked = (event as { jobId?: string }).jobId;
    const withdrawn = waitingOf(before).find((job) => job.job_id === revoked);
    if (event.type === 'JOB_REVOKED' && withdrawn) this.#settle(revoked!, withdrawn.fence_token);
    for (const [id, run] of Object.entries(runsOf(before))) {
      if (runsOf(after)[id]?.fenceToken !== run.fenceToken) this.#settle(id, run.fenceToken);
    }
  }

  /**
   * The runs this step ends, each with how: a run told to end (revoked, cut off, failed, given
   * up) ends at once, so its line is due at the step that told it; a run whose handler returns
   * ends at the walk's JOB_ENDED; a run a newer dispatch replaces ends at that offer.
   */
  #endsOf(
    before: AnyMachineSnapshot,
    event: EventObject,
    after: AnyMachineSnapshot,
  ): Array<[string, RunningJob, Ending]> {
    const ends: Array<[string, RunningJob, Ending]> = [];
    const message = (event as { message?: string }).message ?? '';
    for (const [jobId, run] of Object.entries(runsOf(before))) {
      const next = runsOf(after)[jobId];
      if (run.ending) continue;
      if (next?.ending && next.fenceToken === run.fenceToken) {
        if (event.type === 'JOB_REVOKED') ends.push([jobId, run, ENDINGS.revoked!]);
        if (event.type === 'INTERRUPT_JOBS') ends.push([jobId, run, ENDINGS.shutdown!]);
        if (event.type === 'FAIL_JOBS') ends.push([jobId, run, failedWith(message)]);
        if (event.type === 'ABANDON_JOBS') {
          const persisted = run.mode === 'persisted';
          ends.push([jobId, run, persisted ? ENDINGS.engine_unhealthy! : failedWith(message)]);
        }
      } else if (next === undefined && event.type === 'JOB_ENDED') {
        ends.push([jobId, run, ENDINGS.result!]);
      } else if (next !== undefined && next.fenceToken > run.fenceToken) {
        ends.push([jobId, run, ENDINGS.superseded!]);
      }
    }
    return ends;
  }

  #settle(jobId: string, token: number): void {
    this.#settlements.push({ jobId, token });
  }

  /** The jobs this step refuses, each with why. */
  #refusedBy(before: AnyMachineSnapshot, event: EventObject, after: AnyMachineSnapshot) {
    const line = (reason: Reason) => waitingOf(before).map((job) => ({ job, reason }));
    if (event.type === 'DRAIN') return isDraining(before) ? [] : line('draining');
    if (event.type === 'ABANDON_JOBS') return line('engine_unhealthy');
    if (event.type !== 'JOB_OFFERED') return [];
    const job = (event as unknown as { job: JobFrame }).job;
    if (isDraining(before)) return [{ job, reason: 'draining' as const }];
    if (this.#seen(before, job)) return [];
    if (before.matches('unhealthy')) return [{ job, reason: 'engine_unhealthy' as const }];
    const admitted =
      runsOf(after)[job.job_id]?.fenceToken === job.fence_token ||
      waitingOf(after).some((w) => w.job_id === job.job_id && w.fence_token === job.fence_token);
    return admitted ? [] : [{ job, reason: 'at_capacity' as const }];
  }

  /**
   * A re-delivery: the job runs or waits under this token or a newer one, or settled under one
   * among the last settlements the gate remembers.
   */
  #seen(before: AnyMachineSnapshot, job: JobFrame): boolean {
    const tokens = [
      rememberedToken(this.#settlements, job.job_id, this.#memorySize),
      runsOf(before)[job.job_id]?.fenceToken,
      ...waitingOf(before)
        .filter((w) => w.job_id === job.job_id)
        .map((w) => w.fence_token),
    ];
    return tokens.some((token) => token !== undefined && token >= job.fence_token);
  }

  #refused(job: JobFrame, reason: Reason): void {
    const text = TEXTS[reason];
    if (job.mode === 'transient') {
      this.#frames.push(frameSignature({ job_id: job.job_id, error: text, fence_token: 0 }));
    }
    const msg = job.mode === 'persisted' ? `${text}; left to its lease` : text;
    const fields = { job_id: job.job_id, config_id: job.config_id, reason };
    this.#lines.push(lineSignature({ level: WARN, msg, ...fields }));
  }

  /**
   * The refusals' `job_error`s at the queue and their log lines, each as many times as
   * expected, and no refusal besides: waits (up to 2 s) for the expected ones to arrive.
   */
  async violations(queue: LocalQueue, workerId: string, logs: CapturedLogs): Promise<string[]> {
    const seen = () => ({
      frames: refusalFrames(queue, workerId),
      lines: logs.entries().flatMap(refusalLine),
      ends: logs.entries().flatMap(endLine),
    });
    const diff = () => {
      const { frames, lines, ends } = seen();
      return [
        ...missingAndUnexpected('refusal job_error', this.#frames, frames),
        ...missingAndUnexpected('refusal log line', this.#lines, lines),
        ...missingAndUnexpected('job end line', this.#ends, ends),
      ];
    };
    const deadline = Date.now() + 2_000;
    while (diff().some((v) => v.startsWith('missing')) && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    return diff();
  }
}

type Fields = Record<string, unknown>;
const frameSignature = (f: Fields) => JSON.stringify([f.job_id, f.error, f.fence_token]);
const lineSignature = (l: Fields) =>
  JSON.stringify([l.level, l.msg, l.job_id, l.config_id, l.reason]);
const endSignature = (l: Fields) =>
  JSON.stringify([l.level, l.msg, l.job_id, l.task, l.mode, l.outcome, l.error ?? null]);
const rejectionSignature = (l: Fields) =>
  JSON.stringify([l.level, l.msg, l.reason, l.preview, l.job_id]);

/** The bad field a rejection names, in place of the parser's own wording of what was wrong. */
const namingField = (text: string, prefix: string) =>
  text.startsWith(prefix) && text.includes('config_id') ? `${prefix}config_id` : text;

/** The worker's `job_error`s that a refusal or an invalid job frame would send. */
function refusalFrames(queue: LocalQueue, workerId: string): string[] {
  return queue.events.all().flatMap((event) => {
    if (event.kind !== 'frame_in' || event.workerId !== workerId) return [];
    const frame = event.frame as Fields;
    const error = typeof frame.error === 'string' ? frame.error : '';
    const refusal = TEXT_VALUES.includes(error) || error.startsWith(INVALID_ANSWER);
    if (frame.type !== 'job_error' || !refusal) return [];
    return [frameSignature({ ...frame, error: namingField(error, INVALID_ANSWER) })];
  });
}

/** A log line that reports a refusal, or a frame ignored, whatever its level. */
function refusalLine(entry: Fields): string[] {
  const msg = typeof entry.msg === 'string' ? entry.msg : '';
  if (msg.startsWith(IGNORED)) {
    return [rejectionSignature({ ...entry, msg: namingField(msg, IGNORED) })];
  }
  return TEXT_VALUES.some((text) => msg.startsWith(text)) ? [lineSignature(entry)] : [];
}

/** A job's end line (with a duration that is a number of ms, or it is no end line). */
function endLine(entry: Fields): string[] {
  const msg = typeof entry.msg === 'string' ? entry.msg : '';
  if (!END_MESSAGES.includes(msg) && !msg.startsWith(FAILED)) return [];
  const duration = entry.duration_ms;
  const timed = typeof duration === 'number' && duration >= 0;
  return [endSignature(timed ? entry : { ...entry, msg: `${msg} (duration_ms ${duration})` })];
}
