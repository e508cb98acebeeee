/**
 * Ended jobs as the status server knows them: the gate, the owner of running jobs, emits a
 * `jobEnded` report for each run that ends (XState `emit`), and the ledger keeps the last ones
 * and counts them into the metrics. Running jobs are read from the gate's snapshot
 * (worker/state.ts); lease renewals are counted from the job actors' RENEW_DUE events.
 */
import type { AnyActorRef, InspectionEvent } from 'xstate';
import { GATE_ID } from '../../machines/gate.machine.ts';
import type { JobEndedReport, OutcomeLabel } from '../../machines/running-jobs.ts';

export type { OutcomeLabel };

export type EndedJob = Omit<JobEndedReport, 'type' | 'error'> & {
  /** The error sent to the queue, when there was one. */
  error?: string;
};

export type JobLedgerOptions = {
  /** Called once per ended run, after it moved to the recent list. */
  onEnded?: (job: EndedJob) => void;
  /** How many ended jobs `recent()` keeps, newest first. Default 20. */
  recentLimit?: number;
};

export class JobLedger {
  /** Lease renewals seen since start. */
  renewals = 0;
  readonly #recent: EndedJob[] = [];
  readonly #onEnded: ((job: EndedJob) => void) | undefined;
  readonly #recentLimit: number;
  #gate: AnyActorRef | undefined;

  constructor(options: JobLedgerOptions = {}) {
    this.#onEnded = options.onEnded;
    this.#recentLimit = options.recentLimit ?? 20;
  }

  /** An inspection observer: it listens to the gate from its creation on, and counts renewals. */
  observe(event: InspectionEvent): void {
    if (event.type === '@xstate.actor') {
      const actor = event.actorRef as AnyActorRef;
      if (actor.id === GATE_ID && this.#gate === undefined) this.listenTo(actor);
    } else if (event.type === '@xstate.event' && event.event.type === 'RENEW_DUE') {
      this.renewals += 1;
    }
  }

  /** Listens to a gate's `jobEnded` reports. */
  listenTo(gate: AnyActorRef): void {
    this.#gate = gate;
    gate.on('jobEnded', (report: JobEndedReport) => this.#ended(report));
  }

  /** Ended jobs, newest first. */
  recent(): EndedJob[] {
    return [...this.#recent];
  }

  #ended(report: JobEndedReport): void {
    const { type: _, error, ...job } = report;
    const ended: EndedJob = error === undefined ? job : { ...job, error };
    this.#recent.unshift(ended);
    if (this.#recent.length > this.#recentLimit) this.#recent.pop();
    this.#onEnded?.(ended);
  }
}
