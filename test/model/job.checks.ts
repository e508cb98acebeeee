/**
 * What the queue saw of the job model's one job, checked in each model state: renewals and
 * progress with the job's token (0 for a transient job), exactly one outcome once it ended,
 * nothing after the run was revoked or superseded, and for a cut-off job only the error that
 * a transient job's caller waits for.
 */
import { expect } from 'vitest';
import { ABORT_MESSAGES, type JobFrame, type JobOutcome } from '../../machines/types.ts';
import type { WorkerFrame } from '../../src/protocol/index.ts';
import { eventIs, type LocalQueue } from '../../src/tools/queue/index.ts';
import { eventually } from '../support/eventually.ts';

/** A job frame that fails validation but names a job: the worker answers it at once. */
const PROBE = '{"type":"job","job_id":"probe","mode":"sideways"}';

export class JobWitness {
  readonly #queue: LocalQueue;
  readonly #workerId: string;
  readonly #job: JobFrame;

  constructor(queue: LocalQueue, workerId: string, job: JobFrame) {
    this.#queue = queue;
    this.#workerId = workerId;
    this.#job = job;
  }

  frames(): WorkerFrame[] {
    const id = this.#job.job_id;
    return this.#queue.events
      .filter(eventIs('frame_in', (e) => 'job_id' in e.frame && e.frame.job_id === id))
      .map((e) => e.frame);
  }

  outcomes(): WorkerFrame[] {
    return this.frames().filter((frame) => frame.type !== 'job_progress');
  }

  /** Renewals, then progress reports, went out with the job's token and renewed its lease. */
  async renewed(renewals: number, progressed: number): Promise<void> {
    const progress = () => this.frames().filter((f) => f.type === 'job_progress');
    const total = renewals + progressed;
    await eventually(() => progress().length === total, 'renewals and progress', progress);
    const base = { type: 'job_progress', job_id: this.#job.job_id, fence_token: this.#token };
    const expected = [
      ...Array(renewals).fill({ ...base, status_message: 'processing' }),
      ...Array(progressed).fill({ ...base, progress: 0.5, status_message: 'halfway' }),
    ];
    const byKind = (f: WorkerFrame) => ('progress' in f && f.progress !== undefined ? 1 : 0);
    expect([...progress()].sort((a, b) => byKind(a) - byKind(b))).toEqual(expected);
    const renewedLease = eventIs('lease_renewed', (e) => e.jobId === this.#job.job_id);
    const leased = this.#job.mode === 'persisted';
    expect(this.#queue.events.filter(renewedLease)).toHaveLength(leased ? total : 0);
    const tokens = this.frames().map((f) => ('fence_token' in f ? f.fence_token : undefined));
    expect(new Set(tokens)).toEqual(new Set(tokens.length === 0 ? [] : [this.#token]));
  }

  /** The large result is on its way to the queue's offload URL; nothing inline yet. */
  async uploading(): Promise<void> {
    await eventually(() => this.#puts().length === 1, 'the PUT reached the queue');
    expect(this.#puts()[0]!.fenceToken).toBe(this.#token);
    expect(this.outcomes().filter((f) => f.type !== 'job_result_ref')).toEqual([]);
  }

  /**
   * Exactly one outcome, with the job's token: the result inline, its reference after a PUT
   * the queue took, or the error; and the queue settled the job with it.
   */
  async settled(outcome: JobOutcome, result: unknown, uploaded: boolean): Promise<void> {
    const id = { job_id: this.#job.job_id, fence_token: this.#token };
    let expected: object;
    if (outcome.kind === 'error') expected = { type: 'job_error', ...id, error: outcome.message };
    else if (outcome.kind === 'result' && outcome.delivery === 'offloaded') {
      expected = { type: 'job_result_ref', ...id };
    } else expected = { type: 'job_result', ...id, result };
    await eventually(() => this.outcomes().length > 0, 'an outcome reached the queue');
    expect(this.outcomes()).toEqual([expected]);
    const job = () => this.#queue.getJob(this.#job.job_id)!;
    await eventually(() => job().status !== 'running', 'the queue settled the job');
    if (outcome.kind === 'error') expect(job()).toMatchObject({ status: 'failed' });
    else expect(job()).toMatchObject({ status: 'completed', result });
    const offloaded = outcome.kind === 'result' && outcome.delivery === 'offloaded';
    expect(this.#puts().map((put) => put.status === 200)).toEqual(uploaded ? [offloaded] : []);
  }

  /** After `release` (the handler finishing late), nothing more for the job reaches the queue. */
  async silenced(release: () => void): Promise<void> {
    const before = this.frames().length;
    release();
    // Anything the release sent would be on the wire before the worker's answer to a probe.
    const after = this.#queue.events.lastSeq;
    this.#queue.faults.sendRaw(this.#workerId, PROBE);
    const answered = eventIs(
      'frame_in',
      (e) => e.frame.type === 'job_error' && e.frame.job_id === 'probe',
    );
    await this.#queue.events.waitFor(answered, { after });
    expect(this.frames()).toHaveLength(before);
    expect(this.outcomes()).toEqual([]);
  }

  /**
   * The worker drained and closed its connection; a persisted job got no outcome (its lease
   * expires), a transient one the error that says why.
   */
  async interrupted(): Promise<void> {
    const closed = eventIs('connection_closed', (e) => e.workerId === this.#workerId);
    await this.#queue.events.waitFor(closed);
    const drains = this.#queue.events.filter(eventIs('frame_in', (e) => e.frame.type === 'drain'));
    expect(drains).toHaveLength(1);
    const error = ABORT_MESSAGES.shutdown;
    const id = { job_id: this.#job.job_id, fence_token: this.#token };
    expect(this.outcomes()).toEqual(
      this.#job.mode === 'persisted' ? [] : [{ type: 'job_error', ...id, error }],
    );
  }

  /** The token the job's frames carry: 0 for a transient job. */
  get #token(): number {
    return this.#job.mode === 'persisted' ? this.#job.fence_token : 0;
  }

  #puts() {
    return this.#queue.events.filter(eventIs('offload_put', (e) => e.jobId === this.#job.job_id));
  }
}
