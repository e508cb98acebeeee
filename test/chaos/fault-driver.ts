/**
 * Misbehaves at random moments through the local queue's fault API: drops the socket, stops
 * answering pings for a while, duplicates and delays frames, fails result uploads, and
 * revokes the jobs the plan marks. Every draw comes from the seeded generator.
 */
import { QueueFaultError } from '../../src/errors.ts';
import { eventIs, type LocalQueue } from '../../src/tools/queue/index.ts';
import type { Prng } from '../support/prng.ts';
import type { PlannedJob } from './plan.ts';

export type FaultCounts = Record<string, number>;

type Fault = { name: string; weight: number; inject: () => void };

/** running: faults are injected · stopped: nothing more is injected and pings are answered. */
type DriverState = 'running' | 'stopped';

export class FaultDriver {
  readonly counts: FaultCounts = {};
  readonly #queue: LocalQueue;
  readonly #workerId: string;
  readonly #prng: Prng;
  readonly #timers = new Set<NodeJS.Timeout>();
  readonly #faults: Fault[];
  #state: DriverState = 'running';

  constructor(queue: LocalQueue, workerId: string, prng: Prng) {
    this.#queue = queue;
    this.#workerId = workerId;
    this.#prng = prng;
    const { faults } = queue;
    const id = workerId;
    this.#faults = [
      { name: 'drop_socket', weight: 6, inject: () => faults.dropSocket(id) },
      { name: 'silence_pings', weight: 3, inject: () => this.#silencePings() },
      {
        name: 'duplicate',
        weight: 15,
        inject: () => faults.duplicateNextFrames(id, prng.int(1, 5)),
      },
      {
        name: 'delay',
        weight: 15,
        inject: () => faults.delayNextFrames(id, prng.int(1, 5), prng.int(5, 80)),
      },
      { name: 'fail_put', weight: 2, inject: () => faults.failNextResultPut() },
      { name: 'nothing', weight: 30, inject: () => undefined },
    ];
  }

  start(): void {
    this.#later(this.#prng.int(10, 80), () => {
      this.#inject(this.#draw());
      this.start();
    });
  }

  /** Revokes a job the plan marks, soon after its first dispatch (while it likely runs). */
  revokeLater(jobId: string, job: PlannedJob): void {
    if (!job.revoke) return;
    const delayMs = this.#prng.int(0, 40);
    const dispatched = eventIs('job_dispatched', (event) => event.jobId === jobId);
    void this.#queue.events.waitFor(dispatched, { timeoutMs: 60_000 }).then(
      () => this.#later(delayMs, () => this.#revoke(jobId, job)),
      () => this.#count('revoke_never_dispatched'),
    );
  }

  stop(): void {
    this.#state = 'stopped';
    for (const timer of this.#timers) clearTimeout(timer);
    this.#timers.clear();
    this.#queue.faults.answerPings(this.#workerId);
  }

  #revoke(jobId: string, job: PlannedJob): void {
    const status = this.#queue.getJob(jobId)?.status;
    if (status === 'completed' || status === 'failed') {
      this.#count('revoke_too_late');
      return;
    }
    this.#queue.faults.revokeJob(jobId, { reason: 'chaos', redispatch: job.redispatch });
    this.#count(job.redispatch ? 'revoke_redispatch' : 'revoke');
  }

  #silencePings(): void {
    this.#queue.faults.stopAnsweringPings(this.#workerId);
    this.#later(this.#prng.int(150, 400), () => this.#queue.faults.answerPings(this.#workerId));
  }

  #draw(): Fault {
    const total = this.#faults.reduce((sum, fault) => sum + fault.weight, 0);
    let roll = this.#prng.next() * total;
    for (const fault of this.#faults) {
      roll -= fault.weight;
      if (roll < 0) return fault;
    }
    return this.#faults.at(-1)!;
  }

  #inject(fault: Fault): void {
    try {
      fault.inject();
      this.#count(fault.name);
    } catch (error) {
      // The worker is between connections: that fault has nothing to act on right now.
      if (!(error instanceof QueueFaultError)) throw error;
      this.#count(`${fault.name}_skipped`);
    }
  }

  #later(ms: number, run: () => void): void {
    if (this.#state === 'stopped') return;
    const timer = setTimeout(() => {
      this.#timers.delete(timer);
      if (this.#state === 'running') run();
    }, ms);
    this.#timers.add(timer);
  }

  #count(name: string): void {
    this.counts[name] = (this.counts[name] ?? 0) + 1;
  }
}
