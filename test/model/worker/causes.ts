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
  /** The job held at vLLM to keep a drain waiting, while it runs. */
  held: JobFrame | undefined;
  /** The walk's next event after the one being caused. */
  next: EventObject | undefined;
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

/** VLLM_UNHEALTHY_TIMEOUT running out while vLLM's /health fails. */
export const GAVE_UP = 'xstate.after.UNHEALTHY_TIMEOUT.worker.online.degraded.waiting';

/** The fact a backpressure reading leaves: the queue was told to pause. */
export const BACKPRESSURED = 'the queue told to pause';

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
      cutOff(system, book, 'vLLM failed: vLLM exited on its own (exit code 1, signal none)');
      return ofType;
    case 'ENGINE_UNHEALTHY':
    case 'ENGINE_RECOVERED':
      await system.controlVllm('/mock/health', { healthy: event.type === 'ENGINE_RECOVERED' });
      return ofType;
    case GAVE_UP: {
      // The timer runs out by itself; one line says the running jobs were given up.
      const line = 'running jobs are given up';
      fact(book, `the log line '${line}'`, () => system.logged(line));
      return ofType;
    }
    case 'BACKPRESSURE_READING':
      await system.controlVllm('/mock/queue-depth', { depth: event.waiting });
      fact(book, BACKPRESSURED, () => system.queue.workers()[0]?.paused === true);
      return (seen) => ofType(seen) && payload(seen).waiting === event.waiting;
    case 'QUEUE_CONNECTED': {
      // One registration more than before the drop (a long walk drops the socket again).
      const registrations = system.registrations() + 1;
      system.queue.faults.dropSocket(WORKER_ID);
      fact(book, `registration ${registrations}`, () => system.registrations() >= registrations);
      return ofType;
    }
    case 'QUEUE_FRAME':
      return sendFrame(system, book, event.frame);
    case 'QUEUE_FRAME_REJECTED':
      return sendRejected(system, book, event.rejection);
    default:
      // HEARTBEAT_DUE and the shutdown's own steps.
      return shutdownEvent(system, book, model, event);
  }
}

/** The steps of the shutdown sequence, and a second signal. */
async function shutdownEvent(
  system: WorkerSystem,
  book: Bookkeeping,
  model: AnyMachineSnapshot,
  event: AnyEventObject,
): Promise<Match> {
  const failed = model.context.failure !== undefined;
  const match: Match = (seen) => seen.type === event.type;
  const interruptAll = () =>
    cutOff(system, book, 'the worker shut down before the job finished', 'job cut off by shutdown');
  switch (event.type) {
    case 'SHUTDOWN_REQUESTED': {
      const second = model.matches('shuttingDown');
      if (!second && model.matches('online') && drainWaits(book.next)) await holdJob(system, book);
      const flushing = model.matches({ shuttingDown: 'flushing' });
      if (flushing) {
        // The signal comes while the endpoints hold the flush's requests; it is left hanging,
        // and the final heartbeat that comes next is held as after a flush.
        await system.eventually(
          () => TELEMETRY.every((path) => system.sink.requestsTo(path).length > 0),
          'the flush under way',
        );
        if (!failed) system.sink.respond(HEARTBEATS, { hang: true });
      }
      system.worker.shutdown(second ? 'SIGINT' : 'SIGTERM');
      if (second) {
        interruptAll();
        const line = flushing
          ? 'second signal: not waiting for logs, metrics or the queue'
          : model.matches({ shuttingDown: 'draining' })
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
    case 'GATE_DRAINED':
      if (book.held !== undefined) await finishHeld(system, book, book.held);
      return match;
    default:
      // HEARTBEAT_DUE, CONNECTION_CLOSED, ENGINE_STOPPED: the worker's timer or the worker
      // itself.
      return match;
  }
}

function fact(book: Bookkeeping, what: string, holds: Fact['holds']): void {
  book.facts.push({ what, holds });
}

/** A frame from the queue; what the worker makes of it shows in its log or its answers. */
function sendFrame(system: WorkerSystem, book: Bookkeeping, frame: AnyEventObject): Match {
  system.queue.faults.sendRaw(WORKER_ID, JSON.stringify(frame));
  const line = {
    error: `the queue rejected a frame: ${frame.message}`,
    job_result_ref: undefined,
  }[frame.type as string];
  if (line !== undefined) fact(book, `the log line '${line}'`, () => system.logged(line));
  if (frame.type === 'job_result_ref') {
    // Of this job: a long walk may cut off a held job later, whose job_error is its own.
    const answers = () => system.framesIn('job_error').filter((f) => f.job_id === frame.job_id);
    fact(book, 'no answer to an acknowledgement', () => answers().length === 0);
  }
  return (seen) => {
    const got = (seen as AnyEventObject).frame;
    return seen.type === 'QUEUE_FRAME' && got.type === frame.type && got.job_id === frame.job_id;
  };
}

/** A frame the worker cannot read is logged (a job frame naming its job goes to the gate). */
function sendRejected(system: WorkerSystem, book: Bookkeeping, rejection: AnyEventObject): Match {
  system.queue.faults.sendRaw(WORKER_ID, 'this is not JSON');
  const line = 'ignored a frame from the queue: frame is not JSON';
  fact(book, `the log line '${line}'`, () => system.logged(line));
  return (seen) =>
    seen.type === 'QUEUE_FRAME_REJECTED' &&
    (seen as AnyEventObject).rejection.reason === rejection.reason;
}

/** Events that leave the drain waiting for a running job (else the gate drains at once). */
function drainWaits(next: EventObject | undefined): boolean {
  return next !== undefined && next.type !== 'GATE_DRAINED';
}

/** A transient chat job from the queue, whose request vLLM holds until the walk ends it. */
async function holdJob(system: WorkerSystem, book: Bookkeeping): Promise<void> {
  const job: JobFrame = {
    type: 'job',
    job_id: `held-${book.facts.length}`,
    mode: 'transient',
    config_id: 'cfg',
    fence_token: 0,
    payload: CHAT,
  };
  const before = (await system.vllm())?.inference_requests ?? 0;
  system.queue.faults.sendRaw(WORKER_ID, JSON.stringify(job));
  await system.eventually(
    async () => ((await system.vllm())?.inference_requests ?? 0) > before,
    `job ${job.job_id}'s request at vLLM`,
  );
  book.held = job;
}

/** vLLM answers the held job: its one result goes to the queue, and its end is logged. */
async function finishHeld(system: WorkerSystem, book: Bookkeeping, job: JobFrame) {
  book.held = undefined;
  await system.controlVllm('/mock/release', {});
  const results = () => system.framesIn('job_result').filter((f) => f.job_id === job.job_id);
  fact(book, `exactly one result of ${job.job_id}`, () => results().length === 1);
  fact(book, `the log line 'job done' for ${job.job_id}`, () => system.logged('job done'));
}

/** The held job is cut off: the queue gets one job_error, and one warning says so. */
function cutOff(system: WorkerSystem, book: Bookkeeping, error: string, line = error): void {
  const job = book.held;
  if (job === undefined) return;
  book.held = undefined;
  const errors = () =>
    system.framesIn('job_error').filter((f) => f.job_id === job.job_id && f.error === error);
  fact(book, `one job_error '${error}' for ${job.job_id}`, () => errors().length === 1);
  fact(book, `the log line '${line}'`, () => system.logged(line));
}
