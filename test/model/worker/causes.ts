/**
 * How each event of the worker model is made to happen in the real system, and how the driver
 * recognises it among the events the real worker handled. Every cause is a real one: vLLM
 * finishing start-up, losing and regaining health, printing a fatal line or exiting on its
 * own (its control endpoints), queue faults and raw frames, vLLM answering a held request, the
 * shutdown() API (the signal path), the sink answering or failing; timers and what the worker
 * does by itself are only waited for.
 */
import type { AnyEventObject, AnyMachineSnapshot, EventObject } from 'xstate';
import type { JobFrame } from '../../../machines/types.ts';
import { FATAL_LINE, HEARTBEATS, TELEMETRY, WORKER_ID, type WorkerSystem } from './system.ts';

export type Fact = { what: string; holds: () => boolean | Promise<boolean> };

/** What the driver keeps beyond the model's state. */
export type Bookkeeping = {
  /** What the events caused so far leave true in the outside world. */
  facts: Fact[];
  /** Jobs a command already ended for real while the model still runs them. */
  ending: Set<string>;
  /** Runs the real worker started that the model starts one event later (a superseding run). */
  extraRuns: number;
};

/** Recognises the event among those the real worker handled. */
export type Match = (event: EventObject) => boolean;

export const CHAT = {
  task: 'openai/chat-completion',
  messages: [{ role: 'user', content: 'Say hello.' }],
};

export const shutdownStep = (kind: 'after' | 'done' | 'error', state: string) =>
  kind === 'after'
    ? `xstate.after.GRACE_PERIOD.worker.shuttingDown.${state}`
    : `xstate.${kind}.actor.0.worker.shuttingDown.${state}`;

/** Makes `event` happen, the model being in `model`. */
export async function makeHappen(
  system: WorkerSystem,
  book: Bookkeeping,
  model: AnyMachineSnapshot,
  event: AnyEventObject,
): Promise<Match> {
  const ofType: Match = (seen) => seen.type === event.type;
  const payload = (seen: EventObject) => seen as AnyEventObject;
  switch (event.type) {
    case 'ENGINE_READY':
      await system.controlVllm('/mock/ready');
      return ofType;
    case 'ENGINE_FAILED':
      if (model.matches('booting')) await system.controlVllm('/mock/print', { line: FATAL_LINE });
      else await system.controlVllm('/mock/exit', { code: 1 });
      for (const jobId of Object.keys(model.context.jobs)) book.ending.add(jobId);
      return ofType;
    case 'ENGINE_UNHEALTHY':
    case 'ENGINE_RECOVERED':
      await system.controlVllm('/mock/health', { healthy: event.type === 'ENGINE_RECOVERED' });
      return ofType;
    case 'BACKPRESSURE_READING':
      await system.controlVllm('/mock/queue-depth', { depth: event.waiting });
      fact(book, 'the queue told to pause', () => system.queue.workers()[0]?.paused === true);
      return (seen) => ofType(seen) && payload(seen).waiting === event.waiting;
    case 'QUEUE_CONNECTED':
      system.queue.faults.dropSocket(WORKER_ID);
      fact(book, 'a second registration', () => system.registrations() === 2);
      return ofType;
    case 'QUEUE_FRAME':
      return sendFrame(system, book, model, event.frame);
    case 'QUEUE_FRAME_REJECTED':
      return sendRejected(system, book, event.rejection);
    case 'START_JOB':
      await startJob(system, event.job);
      return (seen) => ofType(seen) && payload(seen).job.job_id === event.job.job_id;
    case 'SUPERSEDE_JOB':
      supersede(system, book, model, event.jobId);
      return ofType;
    case 'REFUSE_JOBS':
      for (const job of event.jobs as JobFrame[]) offerWhileDraining(system, book, job);
      return ofType;
    case 'JOB_ENDED':
      return endJob(system, book, event);
    default:
      // HEARTBEAT_DUE and the shutdown's own steps.
      return shutdownEvent(system, book, model, event);
  }
}

/** The steps of the shutdown sequence, and a second signal. */
function shutdownEvent(
  system: WorkerSystem,
  book: Bookkeeping,
  model: AnyMachineSnapshot,
  event: AnyEventObject,
): Match {
  const failed = model.context.failure !== undefined;
  const match: Match = (seen) => seen.type === event.type;
  const interruptAll = () => {
    for (const jobId of Object.keys(model.context.jobs)) book.ending.add(jobId);
    book.extraRuns = 0;
  };
  switch (event.type) {
    case 'SHUTDOWN_REQUESTED': {
      const second = model.matches('shuttingDown');
      system.worker.shutdown(second ? 'SIGINT' : 'SIGTERM');
      if (second) {
        interruptAll();
        const line = model.matches({ shuttingDown: 'draining' })
          ? 'second signal: not waiting for running jobs'
          : 'second signal: not waiting for the queue';
        fact(book, `the log line '${line}'`, () => system.logged(line));
      }
      return match;
    }
    case shutdownStep('after', 'draining'):
      interruptAll();
      return match;
    case shutdownStep('done', 'flushing'):
    case shutdownStep('error', 'flushing'): {
      // The final heartbeat comes next: it is held too, for the walk to say how it is answered.
      if (!failed) system.sink.respond(HEARTBEATS, { hang: true });
      const status = event.type === shutdownStep('done', 'flushing') ? 200 : 500;
      for (const path of TELEMETRY) system.sink.release(path, { status });
      return match;
    }
    case shutdownStep('done', 'reporting'):
    case shutdownStep('error', 'reporting'): {
      // After a failure, reporting only waits for the failure heartbeat, answered before.
      if (!failed) {
        const status = event.type === shutdownStep('done', 'reporting') ? 200 : 500;
        system.sink.release(HEARTBEATS, { status });
      }
      return match;
    }
    default:
      // HEARTBEAT_DUE, GATE_DRAINED, CONNECTION_CLOSED, ENGINE_STOPPED: the worker's timer
      // or the worker itself.
      return match;
  }
}

function fact(book: Bookkeeping, what: string, holds: Fact['holds']): void {
  book.facts.push({ what, holds });
}

/** A frame from the queue; what the worker makes of it shows in its log or its answers. */
function sendFrame(
  system: WorkerSystem,
  book: Bookkeeping,
  model: AnyMachineSnapshot,
  frame: AnyEventObject,
): Match {
  system.queue.faults.sendRaw(WORKER_ID, JSON.stringify(frame));
  const running = frame.job_id in model.context.jobs;
  if (frame.type === 'job_revoked' && running) book.ending.add(frame.job_id);
  const line = {
    job_revoked: running ? undefined : 'revocation for a job not running here: nothing to stop',
    error: `the queue rejected a frame: ${frame.message}`,
    job_result_ref: undefined,
  }[frame.type as string];
  if (line !== undefined) fact(book, `the log line '${line}'`, () => system.logged(line));
  if (frame.type === 'job_result_ref') {
    fact(book, 'no answer to an acknowledgement', () => system.framesIn('job_error').length === 0);
  }
  return (seen) => {
    const got = (seen as AnyEventObject).frame;
    return seen.type === 'QUEUE_FRAME' && got.type === frame.type && got.job_id === frame.job_id;
  };
}

/** A frame the worker cannot read: a job frame with its id is answered, garbage is logged. */
function sendRejected(system: WorkerSystem, book: Bookkeeping, rejection: AnyEventObject): Match {
  if (rejection.type === 'job') {
    system.queue.faults.sendRaw(
      WORKER_ID,
      JSON.stringify({ type: 'job', job_id: rejection.jobId }),
    );
    fact(book, `a job_error for the invalid job ${rejection.jobId}`, () =>
      system
        .framesIn('job_error')
        .some((f) => f.job_id === rejection.jobId && f.error.startsWith('invalid job frame')),
    );
  } else {
    system.queue.faults.sendRaw(WORKER_ID, 'this is not JSON');
    const line = 'ignored a frame from the queue: frame is not JSON';
    fact(book, `the log line '${line}'`, () => system.logged(line));
  }
  return (seen) =>
    seen.type === 'QUEUE_FRAME_REJECTED' &&
    (seen as AnyEventObject).rejection.reason === rejection.reason;
}

/** A job frame from the queue; vLLM holds the job's request until the walk ends the job. */
async function startJob(system: WorkerSystem, job: JobFrame): Promise<void> {
  const before = (await system.vllm())?.inference_requests ?? 0;
  system.queue.faults.sendRaw(WORKER_ID, JSON.stringify(job));
  await system.eventually(
    async () => ((await system.vllm())?.inference_requests ?? 0) > before,
    `job ${job.job_id}'s request at vLLM`,
  );
}

/** A newer dispatch of a running job: the run is replaced, and the new one starts at once. */
function supersede(
  system: WorkerSystem,
  book: Bookkeeping,
  model: AnyMachineSnapshot,
  jobId: string,
): void {
  const run = model.context.jobs[jobId] as { fenceToken: number; mode: JobFrame['mode'] };
  const frame: JobFrame = {
    type: 'job',
    job_id: jobId,
    mode: run.mode,
    config_id: 'cfg',
    fence_token: run.fenceToken + 1,
    payload: CHAT,
  };
  system.queue.faults.sendRaw(WORKER_ID, JSON.stringify(frame));
  book.extraRuns = 1;
}

/** A job offered while draining is refused; a transient one is answered with an error. */
function offerWhileDraining(system: WorkerSystem, book: Bookkeeping, job: JobFrame): void {
  system.queue.faults.sendRaw(WORKER_ID, JSON.stringify(job));
  if (job.mode !== 'transient') return;
  const refusals = () =>
    system.framesIn('job_error').filter((f) => f.job_id === job.job_id && /draining/.test(f.error));
  fact(book, `one job_error refusing ${job.job_id}`, () => refusals().length === 1);
}

/** A job no command ended finishes: vLLM answers, and its one result goes to the queue. */
async function endJob(system: WorkerSystem, book: Bookkeeping, event: AnyEventObject) {
  const { jobId, fenceToken } = event as AnyEventObject & { jobId: string; fenceToken: number };
  if (!book.ending.delete(jobId)) {
    await system.controlVllm('/mock/release', {});
    const results = () =>
      system
        .framesIn('job_result')
        .filter((f) => f.job_id === jobId && f.fence_token === fenceToken);
    fact(book, `exactly one result of ${jobId}`, () => results().length === 1);
  }
  return (seen: EventObject) => {
    const ended = seen as AnyEventObject;
    return seen.type === 'JOB_ENDED' && ended.jobId === jobId && ended.fenceToken === fenceToken;
  };
}
