/**
 * What the outside world must show in each state of the worker model. The real worker may
 * already have moved on (its shutdown runs by itself), so a check asserts what stays true once
 * the state is left, and what only holds while in it (vLLM's health, jobs in flight) only while
 * the real worker is still there. The state itself, the failure's report and the worker's own
 * lines are checked against where the walk's events must have led (oracle.ts), not the model.
 */

import { expect } from 'vitest';
import { type AnyMachineSnapshot, matchesState } from 'xstate';
import type { WorkerOutput } from '../../../machines/worker.machine.ts';
import { processExists } from '../../support/engine-harness.ts';
import { LEVELS } from '../../support/log-capture.ts';
import { expectLines, stateValueOf } from '../expect.ts';
import { BACKPRESSURED, type Bookkeeping } from './causes.ts';
import { WORKER_MESSAGE, type WorkerPath } from './oracle.ts';
import { TELEMETRY, WORKER_ID, type WorkerSystem } from './system.ts';

/** The real system, and what the driver knows beyond the model's state. */
export type World = {
  system: WorkerSystem;
  book: Bookkeeping;
  /** The worker's output, once it has exited. */
  output: () => WorkerOutput | undefined;
  /** Where the walk's events so far must have led. */
  expected: WorkerPath;
};

/** The steps of the shutdown sequence, in order, then the end. */
const STEPS = ['draining', 'flushing', 'closing', 'reporting', 'stoppingEngine', 'exited'];

const statuses = (system: WorkerSystem) => system.heartbeats().map((h) => h.status);

export async function checkState(world: World, snapshot: AnyMachineSnapshot, stillThere: boolean) {
  const { system, expected } = world;
  expect(snapshot.matches(stateValueOf(expected.stage)), `the worker in ${expected.stage}`).toBe(
    true,
  );
  await system.eventually(() => statuses(system)[0] === 'starting', "the 'starting' heartbeat");
  for (const fact of world.book.facts) await system.eventually(fact.holds, fact.what);
  if (expected.failure !== undefined) await failureReported(world, expected.failure);
  await linesLogged(world);
  if (snapshot.matches('booting')) await booting(system);
  else if (snapshot.matches('online')) await online(world, snapshot, stillThere);
  else await shuttingDown(world, snapshot, stillThere);
}

/** vLLM is starting: only `starting` was said, and the queue has not heard of the worker. */
async function booting(system: WorkerSystem) {
  expect(statuses(system)).toEqual(['starting']);
  expect(system.registrations()).toBe(0);
  const health = await fetch(`${system.vllmUrl}/health`).catch(() => undefined);
  expect(health?.status).not.toBe(200);
}

async function online(world: World, snapshot: AnyMachineSnapshot, stillThere: boolean) {
  const { system } = world;
  await system.eventually(
    () => system.queue.workers().some((w) => w.workerId === WORKER_ID),
    'the worker registered at the queue',
  );
  await system.eventually(() => statuses(system).includes('active'), "an 'active' heartbeat");
  expect(statuses(system).filter((s) => s !== 'starting' && s !== 'active')).toEqual([]);
  // Each `active` heartbeat answers a connection or a due heartbeat while serving; a
  // degraded vLLM gets none (they may coalesce, hence at most).
  const causes = system.trace.handled.filter(
    ({ event, value }) =>
      (event.type === 'QUEUE_CONNECTED' || event.type === 'HEARTBEAT_DUE') &&
      matchesState({ online: 'serving' }, value),
  );
  const actives = statuses(system).filter((s) => s === 'active');
  expect(actives.length).toBeLessThanOrEqual(causes.length);
  if (!stillThere) return;
  const paused = () => system.queue.workers().find((w) => w.workerId === WORKER_ID)?.paused;
  if (snapshot.matches({ online: 'degraded' })) {
    await system.eventually(
      () => paused() === true,
      'the queue told to pause while vLLM is unhealthy',
    );
  } else if (!world.book.facts.some((f) => f.what === BACKPRESSURED)) {
    await system.eventually(() => paused() === false, 'the queue told to resume while vLLM serves');
  }
  const health = await fetch(`${system.vllmUrl}/health`);
  expect(health.status).toBe(snapshot.matches({ online: 'serving' }) ? 200 : 503);
  await jobsInFlight(world);
}

/** The job held at vLLM, if any, is the one request vLLM is answering. */
async function jobsInFlight(world: World) {
  const expected = world.book.held === undefined ? 0 : 1;
  await world.system.eventually(
    async () => (await world.system.vllm())?.running === expected,
    `${expected} job request(s) in flight at vLLM`,
  );
}

async function shuttingDown(world: World, snapshot: AnyMachineSnapshot, stillThere: boolean) {
  const { system } = world;
  const step = snapshot.matches('exited')
    ? STEPS.length - 1
    : STEPS.indexOf((snapshot.value as { shuttingDown: string }).shuttingDown);
  const connected = system.registrations() > 0;
  if (connected) {
    await system.eventually(() => system.framesIn('drain').length > 0, 'the queue told to drain');
  }
  if (step === 0 && stillThere) await jobsInFlight(world);
  if (step >= 1) {
    await system.eventually(
      async () => ((await system.vllm())?.running ?? 0) === 0,
      'no job request left at vLLM',
    );
  }
  if (step >= 2) {
    for (const path of TELEMETRY) expect(system.sink.requestsTo(path).length).toBeGreaterThan(0);
  }
  if (step >= 3 && connected) {
    await system.eventually(() => system.queue.workers().length === 0, 'the connection closed');
  }
  const failed = world.expected.failure !== undefined;
  if (step === 3 && !failed) {
    await system.eventually(
      () => statuses(system).at(-1) === 'stopping',
      "the 'stopping' heartbeat",
    );
  }
  if (step >= 4) await stopped(world);
  if (step === 5) {
    await system.eventually(() => world.output() !== undefined, 'the exit code');
    expect(world.output()?.exitCode).toBe(failed ? 1 : 0);
  }
}

/** Reported and stopped: `stopping` is the last word, unless a failure was; vLLM is gone. */
async function stopped(world: World) {
  const { system } = world;
  const { failure } = world.expected;
  if (failure === undefined) {
    await system.eventually(
      () => statuses(system).at(-1) === 'stopping',
      "the 'stopping' heartbeat",
    );
  } else {
    expect(statuses(system)).not.toContain('stopping');
    expect(statuses(system).at(-1)).toBe(failure.status);
  }
  const pid = system.vllmPid;
  if (pid !== undefined) await system.eventually(() => !processExists(pid), 'vLLM to exit');
}

/** The failure heartbeat, with the message that says why. */
async function failureReported(world: World, failure: NonNullable<WorkerPath['failure']>) {
  const { status, message } = failure;
  await world.system.eventually(
    () => world.system.heartbeats().some((h) => h.status === status && h.error_message === message),
    `the '${status}' heartbeat saying '${message}'`,
  );
}

/**
 * The worker's own lines, in order, as the walk's events call for them; and one line per
 * registration, the later ones naming the reconnect.
 */
async function linesLogged(world: World) {
  const { system, expected } = world;
  const entries = () => system.logs.map((line) => JSON.parse(line) as Record<string, unknown>);
  // The queue rejects the job_error of a held job, which it never dispatched (causes.ts):
  // the worker logs its answer, which is not the walk's frame.
  const incidental = (msg: string) => /^the queue rejected a frame: .* no such job$/.test(msg);
  const own = () =>
    entries().filter((entry) => {
      const msg = String(entry.msg);
      return WORKER_MESSAGE.test(msg) && !incidental(msg);
    });
  await system.eventually(() => own().length >= expected.lines.length, "the worker's lines");
  expectLines(own(), expected.lines);
  const registered = () =>
    entries().filter((entry) => String(entry.msg).startsWith('registered with the queue'));
  await system.eventually(
    () => registered().length === system.registrations(),
    'a line per registration',
  );
  expect(registered().map((entry) => [entry.level, entry.msg, entry.connections])).toEqual(
    registered().map((_, i) => [
      LEVELS.info,
      i === 0
        ? 'registered with the queue'
        : `registered with the queue again after a reconnect (connection ${i + 1})`,
      i + 1,
    ]),
  );
}
