/**
 * What the gate's refusals must look like outside, derived from the walk's model path (why the
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
 */
import type { AnyMachineSnapshot, EventObject } from 'xstate';
import type { RunningJob } from '../../machines/running-jobs.ts';
import type { JobFrame } from '../../machines/types.ts';
import type { LocalQueue } from '../../src/tools/queue/index.ts';
import type { CapturedLogs } from '../support/log-capture.ts';
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
/** pino's number for `warn`. */
const WARN = 40;

type Step = { event: EventObject; state: AnyMachineSnapshot };

const runsOf = (s: AnyMachineSnapshot) => s.context.running as Record<string, RunningJob>;
const waitingOf = (s: AnyMachineSnapshot) => s.context.waiting as JobFrame[];
const isDraining = (s: AnyMachineSnapshot) => s.matches('draining') || s.matches('drained');

export class RefusalWitness {
  readonly #steps: readonly Step[];
  #step = 0;
  /** Per job, the newest token it ran under or was revoked under while waiting. */
  readonly #settled = new Map<string, number>();
  /** Frames and log lines the refusals so far must have produced, one signature each. */
  readonly #frames: string[] = [];
  readonly #lines: string[] = [];

  /** `steps`: the walk's model path, the initial state first. */
  constructor(steps: readonly Step[]) {
    this.#steps = steps;
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
    const revoked = (event as { jobId?: string }).jobId;
    const withdrawn = waitingOf(before).find((job) => job.job_id === revoked);
    if (event.type === 'JOB_REVOKED' && withdrawn) this.#settle(revoked!, withdrawn.fence_token);
    for (const [id, run] of Object.entries(runsOf(after))) this.#settle(id, run.fenceToken);
  }

  #settle(jobId: string, token: number): void {
    this.#settled.set(jobId, Math.max(token, this.#settled.get(jobId) ?? token));
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

  /** A re-delivery: the gate has seen the job under this token or a newer one. */
  #seen(before: AnyMachineSnapshot, job: JobFrame): boolean {
    const tokens = [
      this.#settled.get(job.job_id),
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
    });
    const diff = () => {
      const { frames, lines } = seen();
      return [
        ...missingAndUnexpected('refusal job_error', this.#frames, frames),
        ...missingAndUnexpected('refusal log line', this.#lines, lines),
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
