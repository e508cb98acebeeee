/**
 * Where the worker must be after a walk's events, what it must have logged of its own, and how
 * it must report a failure: written from worker.md (start-up, degraded vLLM, the shutdown
 * sequence and its second signal, heartbeat statuses, exit codes), not from
 * machines/worker*.ts. The walk's model is the machine itself, so a wrong target, a lost line
 * or a wrong status moves the model and the worker together; this does not move with them
 * (issue 20).
 */
import type { AnyEventObject } from 'xstate';
import type { ExpectedLine } from '../expect.ts';
import { GAVE_UP, shutdownStep } from './causes.ts';
import { FATAL_LINE } from './system.ts';

export type WorkerStage =
  | 'booting'
  | 'online.serving'
  | 'online.degraded.waiting'
  | 'online.degraded.gaveUp'
  | 'shuttingDown.draining'
  | 'shuttingDown.flushing'
  | 'shuttingDown.closing'
  | 'shuttingDown.reporting'
  | 'shuttingDown.stoppingEngine'
  | 'exited';

export type WorkerPath = {
  stage: WorkerStage;
  /** The failure heartbeat's status and message, once vLLM failed. */
  failure: { status: 'fatal' | 'error'; message: string } | undefined;
  /** The worker machine's own lines, in order (registrations aside: they come by themselves). */
  lines: ExpectedLine[];
};

/** What vLLM's failure is, as the walk causes it (worker/causes.ts), and how it is reported. */
const FAILURES: Record<string, NonNullable<WorkerPath['failure']>> = {
  // A fatal line: the host is bad (heartbeat `fatal`).
  fatal: {
    status: 'fatal',
    message: `FATAL vLLM error detected (pattern: CUDA driver version is insufficient): ${FATAL_LINE}`,
  },
  // An exit on its own: maybe a passing fault (heartbeat `error`).
  crashed: { status: 'error', message: 'vLLM exited on its own (exit code 1, signal none)' },
};

/** Events that change nothing the worker shows here: timers and readings it acts on by itself. */
const IGNORED = new Set(['HEARTBEAT_DUE', 'BACKPRESSURE_READING', 'QUEUE_CONNECTED']);
/** The other events the walks cause, where a branch above does not apply in the state. */
const KNOWN = new Set([
  'xstate.done.actor.engine',
  'ENGINE_READY',
  'ENGINE_FAILED',
  'ENGINE_UNHEALTHY',
  'ENGINE_RECOVERED',
  GAVE_UP,
  'QUEUE_FRAME',
  'QUEUE_FRAME_REJECTED',
  'SHUTDOWN_REQUESTED',
  'GATE_DRAINED',
  'CONNECTION_CLOSED',
  shutdownStep('after', 'draining'),
  shutdownStep('done', 'flushing'),
  shutdownStep('error', 'flushing'),
  shutdownStep('done', 'reporting'),
  shutdownStep('error', 'reporting'),
]);

/** The steps a second signal cuts short, and the line that says which wait ended. */
function secondSignal(stage: WorkerStage): { to: WorkerStage; line: ExpectedLine } {
  const line = (what: string): ExpectedLine => ({
    level: 'warn',
    message: `second signal: not waiting for ${what}`,
  });
  if (stage === 'shuttingDown.draining') {
    return { to: 'shuttingDown.flushing', line: line('running jobs') };
  }
  if (stage === 'shuttingDown.flushing') {
    return { to: 'shuttingDown.closing', line: line('logs, metrics or the queue') };
  }
  return { to: stage, line: line('the queue') };
}

/** The worker's path after `events`, with VLLM_UNHEALTHY_TIMEOUT `unhealthyS` seconds. */
export function expectedWorkerPath(
  events: readonly AnyEventObject[],
  unhealthyS: number,
): WorkerPath {
  const p: WorkerPath = { stage: 'booting', failure: undefined, lines: [] };
  const at = (...stages: WorkerStage[]) => stages.includes(p.stage);
  const up = () => p.stage === 'booting' || p.stage.startsWith('online');
  const shuttingDown = () => p.stage.startsWith('shuttingDown');
  for (const event of events) {
    const { type } = event;
    if (IGNORED.has(type)) continue;
    if (type === 'xstate.done.actor.engine') {
      p.stage = 'exited';
    } else if (type === 'ENGINE_READY' && at('booting')) {
      p.stage = 'online.serving';
    } else if (type === 'ENGINE_FAILED' && p.stage !== 'exited') {
      const failure = FAILURES[event.failure.kind];
      if (failure === undefined) throw new Error(`no walk fails vLLM so: ${event.failure.kind}`);
      p.failure = failure;
      p.lines.push({ level: 'error', message: failure.message });
      if (up()) p.stage = 'shuttingDown.draining';
    } else if (type === 'ENGINE_UNHEALTHY' && at('online.serving')) {
      p.stage = 'online.degraded.waiting';
      p.lines.push({
        level: 'warn',
        message: /^vLLM is unhealthy: .+; no job is taken until it recovers$/,
      });
    } else if (type === 'ENGINE_RECOVERED' && p.stage.startsWith('online.degraded')) {
      p.stage = 'online.serving';
      p.lines.push({ level: 'info', message: 'vLLM is healthy again' });
    } else if (type === GAVE_UP && at('online.degraded.waiting')) {
      p.stage = 'online.degraded.gaveUp';
      p.lines.push({
        level: 'error',
        message: `vLLM has been unhealthy for ${unhealthyS} s (VLLM_UNHEALTHY_TIMEOUT): running jobs are given up: transient ones are answered with job_error, persisted ones are no longer renewed, so the queue re-dispatches them when their leases expire`,
      });
    } else if (type === 'QUEUE_FRAME' && event.frame.type === 'error') {
      p.lines.push({
        level: 'error',
        message: `the queue rejected a frame: ${event.frame.message}`,
      });
    } else if (type === 'QUEUE_FRAME_REJECTED') {
      p.lines.push({ level: 'warn', message: 'ignored a frame from the queue: frame is not JSON' });
    } else if (type === 'SHUTDOWN_REQUESTED') {
      if (up()) p.stage = 'shuttingDown.draining';
      else if (shuttingDown()) {
        const { to, line } = secondSignal(p.stage);
        p.stage = to;
        p.lines.push(line);
      }
    } else if (
      at('shuttingDown.draining') &&
      (type === 'GATE_DRAINED' || type === shutdownStep('after', 'draining'))
    ) {
      p.stage = 'shuttingDown.flushing';
    } else if (
      at('shuttingDown.flushing') &&
      (type === shutdownStep('done', 'flushing') || type === shutdownStep('error', 'flushing'))
    ) {
      p.stage = 'shuttingDown.closing';
    } else if (type === 'CONNECTION_CLOSED' && at('shuttingDown.closing')) {
      p.stage = 'shuttingDown.reporting';
    } else if (
      at('shuttingDown.reporting') &&
      (type === shutdownStep('done', 'reporting') || type === shutdownStep('error', 'reporting'))
    ) {
      p.stage = 'shuttingDown.stoppingEngine';
    } else if (!KNOWN.has(type)) {
      throw new Error(`the worker oracle does not know ${type}`);
    }
  }
  return p;
}

/** The worker machine's own messages (registrations aside), to pick its lines out of the log. */
export const WORKER_MESSAGE =
  /^(vLLM is unhealthy: |vLLM is healthy again$|vLLM has been unhealthy for |the queue rejected a frame: |ignored a frame from the queue: |second signal: |FATAL vLLM error detected |vLLM exited on its own )/;
