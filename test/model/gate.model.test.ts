/**
 * The gate, walked against a real worker (the worker machine with its real gate, connection,
 * leases and job actors) connected to the local queue. Jobs are real job frames from the
 * queue; a job settles when its handler is released; pause, resume and drain come through the
 * gate's own events as the SDK sends them; backpressure readings come from a test-fed source
 * in place of vLLM's /metrics.
 */
import { expect } from 'vitest';
import {
  type Actor,
  type AnyEventObject,
  type AnyMachineSnapshot,
  createActor,
  fromCallback,
} from 'xstate';
import { gateMachine } from '../../machines/gate.machine.ts';
import type { JobFrame } from '../../machines/types.ts';
import { silentLogger } from '../../src/observability/logger.ts';
import { eventIs, type LocalQueue, startLocalQueue } from '../../src/queue/index.ts';
import { instantEngine } from '../../src/worker/instant-engine.ts';
import { createWorkerLogic } from '../../src/worker/logic.ts';
import { describeWorker } from '../../src/worker/state.ts';
import { jobFrame } from '../support/job-frame.ts';
import { deferred } from '../support/sdk-worker.ts';
import type { CoverageRecorder } from './coverage.ts';
import type { Driver } from './runner.ts';
import { modelSuite } from './suite.ts';

const job = (id: string, token: number, mode: JobFrame['mode']) => jobFrame(id, token, mode);

/** Two dispatches of one persisted job (a newer token supersedes), two transient jobs. */
const JOBS = [
  job('a', 1, 'persisted'),
  job('a', 2, 'persisted'),
  job('b', 0, 'transient'),
  job('c', 0, 'transient'),
];

class GateDriver implements Driver {
  #queue!: LocalQueue;
  #worker!: Actor<ReturnType<typeof createWorkerLogic>>;
  #recorder!: CoverageRecorder;
  #feed: ((waiting: number) => void) | undefined;
  #handlers = new Map<string, ReturnType<typeof deferred<unknown>>>();

  async start(recorder: CoverageRecorder): Promise<void> {
    this.#recorder = recorder;
    this.#queue = await startLocalQueue();
    const logic = createWorkerLogic({
      url: `${this.#queue.wsUrl}/ws`,
      token: undefined,
      maxFrameBytes: 1 << 20,
      logger: silentLogger(),
      handler: (job) => {
        const release = deferred<unknown>();
        this.#handlers.set(`${job.id}@${job.fenceToken}`, release);
        return release.promise;
      },
      parts: {
        engine: instantEngine,
        backpressure: fromCallback(({ sendBack }) => {
          this.#feed = (waiting) => sendBack({ type: 'BACKPRESSURE_READING', waiting });
        }),
        flushTelemetry: async () => {},
        heartbeat: async () => true,
      },
    });
    this.#worker = createActor(logic, {
      id: 'worker',
      input: { workerId: 'w-gate', configId: 'cfg', capacity: 1 },
      inspect: recorder.inspect,
    });
    this.#worker.start();
    await this.#queue.events.waitFor(eventIs('worker_registered'));
  }

  async cause(event: AnyEventObject): Promise<void> {
    const mark = this.#recorder.mark();
    const gate = this.#worker.system.get('gate')!;
    switch (event.type) {
      case 'JOB_OFFERED': {
        const { job_id, fence_token } = event.job as JobFrame;
        const frame = JOBS.find((j) => j.job_id === job_id && j.fence_token === fence_token)!;
        this.#queue.faults.sendRaw('w-gate', JSON.stringify(frame));
        break;
      }
      case 'JOB_SETTLED': {
        const { jobId, fenceToken } = event as AnyEventObject & {
          jobId: string;
          fenceToken: number;
        };
        this.#handlers.get(`${jobId}@${fenceToken}`)!.resolve({ done: jobId });
        break;
      }
      case 'JOB_REVOKED':
        this.#queue.faults.sendRaw(
          'w-gate',
          JSON.stringify({ type: 'job_revoked', job_id: event.jobId, reason: 'model walk' }),
        );
        break;
      case 'BACKPRESSURE_READING':
        this.#feed!(event.waiting as number);
        break;
      default:
        gate.send(event);
    }
    await this.#recorder.waitForEvent(
      (seen) => JSON.stringify(seen) === JSON.stringify(event),
      mark,
    );
  }

  realValue() {
    return this.#worker.system.get('gate')?.getSnapshot().value;
  }

  async check(snapshot: AnyMachineSnapshot): Promise<void> {
    const state = describeWorker(this.#worker);
    // The jobs the model runs are the jobs whose handlers run here.
    const running = Object.entries(snapshot.context.running as Record<string, number>)
      .map(([id, token]) => `${id}@${token}`)
      .sort();
    const real = Object.entries(state.jobs)
      .map(([id, j]) => `${id}@${j.fenceToken}`)
      .sort();
    expect(real).toEqual(running);
    const seen = () => this.#queue.workers().find((w) => w.workerId === 'w-gate');
    if (snapshot.matches('paused')) await this.#eventually(() => seen()?.paused === true);
    if (snapshot.matches('accepting')) await this.#eventually(() => seen()?.paused === false);
    if (snapshot.matches('draining') || snapshot.matches('drained')) {
      await this.#eventually(() => seen()?.draining === true);
    }
    // Jobs waiting for a slot: the same line, in the same order.
    const waitingIds = (jobs: JobFrame[]) => jobs.map((j) => `${j.job_id}@${j.fence_token}`);
    const gate = this.#worker.system.get('gate')!.getSnapshot();
    expect(waitingIds(gate.context.waiting)).toEqual(waitingIds(snapshot.context.waiting));
  }

  async #eventually(condition: () => boolean, timeoutMs = 5_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!condition()) {
      if (Date.now() > deadline) throw new Error('the queue never saw what the state promises');
      await new Promise((resolve) => setTimeout(resolve, 2));
    }
  }

  async stop(): Promise<void> {
    this.#worker.stop();
    await this.#queue.close();
  }
}

modelSuite({
  machine: gateMachine,
  input: { capacity: 1 },
  events: [
    ...JOBS.map((j) => ({ type: 'JOB_OFFERED', job: j })),
    ...JOBS.map((j) => ({ type: 'JOB_SETTLED', jobId: j.job_id, fenceToken: j.fence_token })),
    { type: 'BACKPRESSURE_READING', waiting: 0 },
    { type: 'BACKPRESSURE_READING', waiting: 3 },
    { type: 'JOB_REVOKED', jobId: 'b' },
    { type: 'JOB_REVOKED', jobId: 'c' },
  ],
  // The worker gives a revocation to the gate only when no actor of its own runs the job.
  filterEvents: (snapshot, event) =>
    event.type !== 'JOB_REVOKED' ||
    !((event as AnyEventObject).jobId in (snapshot.context.running as Record<string, number>)),
  driver: () => new GateDriver(),
});
