/**
 * Behaviour invariants, checked by the runner after every step of every walk (runner.ts): what
 * must hold of the outside world whatever path led there. They read only the fake queue's log
 * and the jobs the fake handler or engine was asked to run, never the machines, so a walk of a
 * mutated machine (whose model predicts the mutated behaviour) still fails on what it does.
 */
import type { WorkerFrame } from '../../src/protocol/index.ts';
import type { LocalQueue, QueueEvent } from '../../src/tools/queue/index.ts';

/** Frames that settle a job at the queue. */
const OUTCOMES = new Set(['job_result', 'job_result_ref', 'job_error']);

/** A frame the queue sent to the worker, in the order of the queue's log. */
type SentFrame = { type?: unknown; job_id?: unknown; mode?: unknown; fence_token?: unknown };
type Sent = { seq: number; frame: SentFrame };
type Received = { seq: number; frame: WorkerFrame };

/**
 * What the queue sent the worker: frames it dispatched, and raw frames the walk made it send
 * (logged as `send_raw` faults with the whole frame once sent, parsed where it is JSON).
 */
function sentTo(events: QueueEvent[], workerId: string): Sent[] {
  const sent: Sent[] = [];
  for (const event of events) {
    if (event.kind === 'frame_out' && event.workerId === workerId) {
      sent.push({ seq: event.seq, frame: event.frame as Sent['frame'] });
    } else if (
      event.kind === 'fault' &&
      event.fault === 'send_raw' &&
      event.workerId === workerId
    ) {
      try {
        const frame = JSON.parse(event.detail ?? '') as unknown;
        if (typeof frame === 'object' && frame !== null) sent.push({ seq: event.seq, frame });
      } catch {
        // Garbage the walk sent on purpose: it dispatches nothing.
      }
    }
  }
  return sent;
}

function receivedFrom(events: QueueEvent[], workerId: string): Received[] {
  return events.flatMap((event) =>
    event.kind === 'frame_in' && event.workerId === workerId
      ? [{ seq: event.seq, frame: event.frame }]
      : [],
  );
}

/** The token a worker's frame for a dispatched job must carry: the lease's, 0 when transient. */
const tokenOf = (dispatch: SentFrame) => (dispatch.mode === 'transient' ? 0 : dispatch.fence_token);

/**
 * The queue's side of every job: each frame the worker sent about a job answers a dispatch of
 * it, with that dispatch's token; a dispatch is answered by at most one outcome; nothing about
 * a job comes after its revocation until the queue dispatches it again. Returns the violations,
 * one line each.
 */
export function wireViolations(queue: LocalQueue, workerId: string): string[] {
  const events = queue.events.all();
  const sent = sentTo(events, workerId);
  const violations: string[] = [];
  for (const { seq, frame } of receivedFrom(events, workerId)) {
    if (!('job_id' in frame)) continue;
    const about = `${frame.type} for job ${frame.job_id} (token ${frame.fence_token})`;
    const before = sent.filter((s) => s.seq < seq && s.frame.job_id === frame.job_id);
    const dispatches = before.filter((s) => s.frame.type === 'job').map((s) => s.frame);
    if (dispatches.length === 0) {
      violations.push(`${about}: the queue never sent that job`);
      continue;
    }
    const valid = dispatches.filter((d) => typeof d.fence_token === 'number');
    if (valid.length > 0 && !valid.some((d) => tokenOf(d) === frame.fence_token)) {
      violations.push(`${about}: no dispatch of the job carries that token`);
    }
    const last = before.at(-1)!;
    if (last.frame.type === 'job_revoked') violations.push(`${about}: sent after its revocation`);
  }
  violations.push(...secondOutcomes(sent, receivedFrom(events, workerId)));
  return [...violations, ...standingViolations(queue, workerId)];
}

/** A dispatch frame the worker's gate gave its connection, and how long the queue's log was then. */
export type Told = { type: 'pause' | 'resume' | 'drain'; at: number };

/**
 * The dispatch standing the worker gave the queue (pause, drain; drain for good) is given again
 * first thing after every later registration: a reconnect never lets a draining or paused
 * worker take jobs. The standing is the last the queue saw on the wire, or, where the driver
 * knows what the gate told the connection (`told`), the last it told before the registration:
 * a resume told while offline never reaches the wire, and ends the standing all the same.
 * Returns the violations, one line each.
 */
export function standingViolations(queue: LocalQueue, workerId: string, told?: Told[]): string[] {
  let standing: 'pause' | 'drain' | undefined;
  let registered: number | undefined;
  const violations: string[] = [];
  for (const [index, event] of queue.events.all().entries()) {
    if (told !== undefined) standing = told.filter((t) => t.at <= index).reduce(after, undefined);
    if (event.kind === 'worker_registered' && event.workerId === workerId) {
      registered = standing === undefined ? undefined : event.connectionId;
      continue;
    }
    if (event.kind !== 'frame_in' || event.workerId !== workerId) continue;
    const { type } = event.frame;
    if (registered === event.connectionId && type !== 'register') {
      if (type !== standing && type !== 'drain') {
        violations.push(`connection ${registered}: ${type} before the standing ${standing}`);
      }
      registered = undefined;
    }
    if (told === undefined) standing = after(standing, { type });
  }
  return violations;
}

/** The standing after a dispatch frame (drain is for good). */
function after(
  standing: 'pause' | 'drain' | undefined,
  { type }: { type: string },
): 'pause' | 'drain' | undefined {
  if (type === 'drain' || standing === 'drain') return 'drain';
  if (type === 'pause') return 'pause';
  if (type === 'resume') return undefined;
  return standing;
}

/** An outcome for a job with no dispatch of it left unanswered is a second outcome. */
function secondOutcomes(sent: Sent[], received: Received[]): string[] {
  const open = new Map<string, number>();
  const merged = [
    ...sent.filter((s) => s.frame.type === 'job').map((s) => ({ seq: s.seq, dispatch: s.frame })),
    ...received
      .filter((r) => OUTCOMES.has(r.frame.type))
      .map((r) => ({ seq: r.seq, outcome: r.frame })),
  ].sort((a, b) => a.seq - b.seq);
  const violations: string[] = [];
  for (const step of merged) {
    if ('dispatch' in step) {
      const id = String(step.dispatch.job_id);
      open.set(id, (open.get(id) ?? 0) + 1);
      continue;
    }
    const frame = step.outcome as WorkerFrame & { job_id: string };
    const left = open.get(frame.job_id) ?? 0;
    if (left === 0) violations.push(`a second outcome for job ${frame.job_id}: ${frame.type}`);
    else open.set(frame.job_id, left - 1);
  }
  return violations;
}

/** The runs the fake handler (or engine) was asked for: no job runs twice under one token. */
export class RunLedger {
  readonly #starts: string[] = [];

  /** The handler started job `jobId` under `fenceToken`. */
  ran(jobId: string, fenceToken: number): void {
    this.#starts.push(`${jobId}@${fenceToken}`);
  }

  /** Every start, `id@token`, in order: a run started again appears again. */
  starts(): string[] {
    return [...this.#starts];
  }

  violations(): string[] {
    const runs = new Map<string, number>();
    for (const run of this.#starts) runs.set(run, (runs.get(run) ?? 0) + 1);
    return [...runs]
      .filter(([, count]) => count > 1)
      .map(([run, count]) => `job ${run} ran ${count} times under one token`);
  }
}

/** Throws one error naming every violation, if there is any. */
export function expectNoViolations(violations: string[]): void {
  if (violations.length > 0) {
    throw new Error(`behaviour invariants broken:\n  ${violations.join('\n  ')}`);
  }
}

/** What the engine's outside world shows: its parent's notices and vLLM's process and lines. */
export type EngineWorld = {
  /** The notices the parent received, in order. */
  notices: string[];
  /** vLLM's lines as the engine logged them, access lines included. */
  vllmLines: string[];
  /** How often vLLM was started, and nvidia-smi run. */
  spawns: number;
  gpuChecks: number;
};

/**
 * The engine starts vLLM once and checks the GPU once; the parent hears ready and failed at
 * most once each, recovered only after unhealthy, and nothing after stopped; /v1/models is
 * asked only after /health answered 200.
 */
export function engineViolations(world: EngineWorld): string[] {
  const violations: string[] = [];
  const { notices } = world;
  if (world.spawns > 1) violations.push(`vLLM started ${world.spawns} times`);
  if (world.gpuChecks > 1) violations.push(`nvidia-smi ran ${world.gpuChecks} times`);
  for (const once of ['ENGINE_READY', 'ENGINE_FAILED', 'ENGINE_STOPPED']) {
    const count = notices.filter((type) => type === once).length;
    if (count > 1) violations.push(`the parent heard ${once} ${count} times`);
  }
  const stopped = notices.indexOf('ENGINE_STOPPED');
  if (stopped >= 0 && stopped < notices.length - 1) {
    violations.push(
      `the parent heard ${notices.slice(stopped + 1).join(', ')} after ENGINE_STOPPED`,
    );
  }
  let healthy = true;
  for (const type of notices) {
    if (type === 'ENGINE_RECOVERED' && healthy) violations.push('ENGINE_RECOVERED while healthy');
    if (type === 'ENGINE_UNHEALTHY' && !healthy) violations.push('ENGINE_UNHEALTHY twice');
    if (type === 'ENGINE_UNHEALTHY' || type === 'ENGINE_RECOVERED') {
      healthy = type === 'ENGINE_RECOVERED';
    }
  }
  const models = world.vllmLines.findIndex((line) => line.includes('"GET /v1/models '));
  const health = world.vllmLines.findIndex((line) => /"GET \/health HTTP\/1.1" 200 /.test(line));
  if (models >= 0 && (health < 0 || health > models)) {
    violations.push('/v1/models asked before /health answered 200');
  }
  return violations;
}

/** The heartbeats' statuses, in order: `starting` first and once; nothing after `stopping`. */
export function heartbeatViolations(statuses: string[]): string[] {
  const violations: string[] = [];
  if (statuses.length > 0 && statuses[0] !== 'starting') {
    violations.push(`the first heartbeat said ${statuses[0]}, not starting`);
  }
  if (statuses.filter((s) => s === 'starting').length > 1) violations.push('starting said twice');
  const stopping = statuses.indexOf('stopping');
  if (stopping >= 0 && stopping < statuses.length - 1) {
    violations.push(`heartbeats after stopping: ${statuses.slice(stopping + 1).join(', ')}`);
  }
  return violations;
}

/**
 * What the outside world showed of one kind (`what`) against what it had to show, both as
 * signatures, each as many times as expected: a line per signature missing or unexpected.
 */
export function missingAndUnexpected(what: string, expected: string[], seen: string[]): string[] {
  const left = new Map<string, number>();
  for (const s of seen) left.set(s, (left.get(s) ?? 0) + 1);
  const violations: string[] = [];
  for (const s of expected) {
    const count = left.get(s) ?? 0;
    if (count === 0) violations.push(`missing ${what} ${s}`);
    else left.set(s, count - 1);
  }
  for (const [s, count] of left) {
    for (let i = 0; i < count; i += 1) violations.push(`unexpected ${what} ${s}`);
  }
  return violations;
}
