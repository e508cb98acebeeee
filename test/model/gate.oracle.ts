/**
 * Where the gate must be after a walk's events, from the events alone: written from
 * protocol.md and worker.md (a job runs in a free slot or waits in a line as long as the
 * capacity, else it is refused; a job seen under its token or a newer one is not run again; a
 * newer token replaces the run; pause and resume by backpressure or by request; an unhealthy
 * vLLM pauses dispatch and starts nothing; a drain refuses the line and ends once nothing runs),
 * not from machines/gate.machine.ts. The walk's model is the machine itself, so a wrong guard,
 * target or record moves the model and the worker together and their states still agree; this
 * does not move with them (issue 20).
 */
import type { AnyEventObject } from 'xstate';
import type { JobFrame } from '../../machines/types.ts';

export type GateStage =
  | 'accepting'
  | 'paused'
  | 'unhealthy.wasAccepting'
  | 'unhealthy.wasPaused'
  | 'draining'
  | 'drained';

export type GateRun = { token: number; mode: JobFrame['mode']; ending: boolean };

export type GatePath = {
  stage: GateStage;
  running: Map<string, GateRun>;
  /** The line, oldest first. */
  waiting: JobFrame[];
  /** Each run started, `id@token`, in order. */
  started: string[];
  /** How often the parent was told the gate has drained. */
  drainedNotices: number;
  /** The `info` lines a revocation of a job not running leaves, in order. */
  revocationLines: string[];
};

/**
 * The gate's settings as the walk's worker has them; `memorySize`: the settlements remembered to
 * recognise a re-delivery (README: the last 1 000), an older one is forgotten and runs again.
 */
export type GateSettings = {
  capacity: number;
  pauseThreshold: number;
  resumeThreshold: number;
  memorySize: number;
};

/** A run that ended or was replaced, or a job revoked while waiting. */
export type Settlement = { jobId: string; token: number };

/** The token of the job's latest settlement among the last `memorySize`, if any. */
export function rememberedToken(
  settlements: readonly Settlement[],
  jobId: string,
  memorySize: number,
): number | undefined {
  return settlements.slice(-memorySize).findLast((entry) => entry.jobId === jobId)?.token;
}

/** Where a pause, a resume or vLLM's loss of health takes the gate from each stage it moves. */
const MOVES: Record<
  'PAUSE_REQUESTED' | 'RESUME_REQUESTED' | 'ENGINE_UNHEALTHY',
  Partial<Record<GateStage, GateStage>>
> = {
  PAUSE_REQUESTED: { accepting: 'paused', 'unhealthy.wasAccepting': 'unhealthy.wasPaused' },
  RESUME_REQUESTED: { paused: 'accepting', 'unhealthy.wasPaused': 'unhealthy.wasAccepting' },
  ENGINE_UNHEALTHY: { accepting: 'unhealthy.wasAccepting', paused: 'unhealthy.wasPaused' },
};

export function expectedGatePath(events: readonly AnyEventObject[], s: GateSettings): GatePath {
  const p: GatePath = {
    stage: 'accepting',
    running: new Map(),
    waiting: [],
    started: [],
    drainedNotices: 0,
    revocationLines: [],
  };
  /** Each settlement (a run ended or replaced, a job revoked while waiting), oldest first. */
  const settlements: Settlement[] = [];
  const settle = (jobId: string, token: number) => settlements.push({ jobId, token });
  const remembered = (jobId: string) => rememberedToken(settlements, jobId, s.memorySize);
  const start = (job: JobFrame) => {
    p.running.set(job.job_id, { token: job.fence_token, mode: job.mode, ending: false });
    p.started.push(`${job.job_id}@${job.fence_token}`);
  };
  const seen = (job: JobFrame) => {
    const tokens = [
      p.running.get(job.job_id)?.token,
      remembered(job.job_id),
      ...p.waiting.filter((w) => w.job_id === job.job_id).map((w) => w.fence_token),
    ];
    return tokens.some((token) => token !== undefined && token >= job.fence_token);
  };
  const unhealthy = () => p.stage.startsWith('unhealthy');
  const draining = () => p.stage === 'draining' || p.stage === 'drained';
  /** Nothing runs in a drain: it is over. */
  const drainedIfIdle = () => {
    if (p.stage !== 'draining' || p.running.size > 0) return;
    p.stage = 'drained';
    p.drainedNotices += 1;
  };
  const endAll = () => {
    for (const run of p.running.values()) run.ending = true;
  };

  for (const event of events) {
    switch (event.type) {
      case 'JOB_OFFERED': {
        const job = event.job as JobFrame;
        if (draining() || seen(job)) break;
        if (unhealthy()) break; // refused
        const run = p.running.get(job.job_id);
        if (run !== undefined) {
          // A newer dispatch: the old run ends, the new one starts in its slot.
          settle(job.job_id, run.token);
          start(job);
        } else if (p.running.size < s.capacity) start(job);
        else if (p.waiting.length < s.capacity) {
          p.waiting = [...p.waiting.filter((w) => w.job_id !== job.job_id), job];
        }
        break;
      }
      case 'JOB_ENDED': {
        const run = p.running.get(event.jobId);
        if (run === undefined || run.token !== event.fenceToken) break;
        p.running.delete(event.jobId);
        settle(event.jobId, run.token);
        // The next in line takes the slot, unless vLLM is unhealthy or the gate drains.
        const [next, ...rest] = p.waiting;
        if (next !== undefined && !unhealthy() && !draining()) {
          p.waiting = rest;
          start(next);
        }
        drainedIfIdle();
        break;
      }
      case 'JOB_REVOKED': {
        const waiting = p.waiting.find((w) => w.job_id === event.jobId);
        const run = p.running.get(event.jobId);
        if (run !== undefined) run.ending = true;
        else if (waiting !== undefined) {
          p.waiting = p.waiting.filter((w) => w !== waiting);
          settle(waiting.job_id, waiting.fence_token);
          p.revocationLines.push('revoked job removed from the waiting line: it will not run');
        } else p.revocationLines.push('revocation for a job not running here: nothing to stop');
        break;
      }
      case 'INTERRUPT_JOBS':
      case 'FAIL_JOBS':
        endAll();
        break;
      case 'ABANDON_JOBS':
        endAll();
        p.waiting = [];
        break;
      case 'DRAIN':
        // Drained already, it says so again: whoever asks is told.
        if (p.stage === 'drained') p.drainedNotices += 1;
        if (!draining()) {
          p.stage = 'draining';
          p.waiting = [];
          drainedIfIdle();
        }
        break;
      case 'BACKPRESSURE_READING':
        if (p.stage === 'accepting' && event.waiting > s.pauseThreshold) p.stage = 'paused';
        else if (p.stage === 'paused' && event.waiting <= s.resumeThreshold) p.stage = 'accepting';
        break;
      case 'PAUSE_REQUESTED':
      case 'RESUME_REQUESTED':
      case 'ENGINE_UNHEALTHY':
        p.stage = MOVES[event.type as keyof typeof MOVES][p.stage] ?? p.stage;
        break;
      case 'ENGINE_RECOVERED':
        if (unhealthy()) {
          p.stage = p.stage === 'unhealthy.wasAccepting' ? 'accepting' : 'paused';
          // The line starts into the slots that came free meanwhile, oldest first.
          while (p.waiting.length > 0 && p.running.size < s.capacity) start(p.waiting.shift()!);
        }
        break;
      case 'JOB_REJECTED':
        break; // it changes nothing the gate holds
      default:
        throw new Error(`the gate oracle does not know ${event.type}`);
    }
  }
  return p;
}
