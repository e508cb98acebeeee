/**
 * A transient job as a lighter actor than the job machine: it has no lease and no upload, so
 * its whole life is the rules of job-rules.ts, which this actor runs directly and the job
 * machine builds its transitions from. A machine per transient job cost a measured share of a
 * small job's CPU (its snapshots, microsteps and action resolution; README "Benchmarks").
 *
 * Its snapshot reads like the job machine's where other code reads it: `value` is
 * `{ running: 'working' }` or the end state, `hasTag('ended')` holds in an end, and `context`
 * is the job machine's context. It tells its owner JOB_ENDED as the machine does.
 */
import type { ActorLogic, ActorRefFrom, ActorScope, AnyActorRef, EventObject } from 'xstate';
import {
  endedEvent,
  type JobContext,
  type JobRule,
  jobContextOf,
  type RuledEvent,
  type RuledType,
  ruleFor,
} from './job-rules.ts';
import { connectionRef, sendFrame } from './outbound.ts';
import type { AbortReason, JobEndState, JobFrame } from './types.ts';

/** The work a light job runs: the job machine's `startWork` and `abortWork` (src/jobs/work.ts). */
export type LightJobWork = {
  startWork(args: { context: JobContext; self: AnyActorRef }): void;
  abortWork(args: { self: AnyActorRef }, params: { reason: AbortReason }): void;
};

const RUNNING = { running: 'working' } as const;

/** The job machine's state values a light job takes. */
export type LightJobValue = typeof RUNNING | JobEndState;

/** A light job's snapshot, shaped as the job machine's where other code reads it. */
export class LightJobSnapshot {
  readonly status: 'active' | 'stopped';
  readonly value: LightJobValue;
  readonly context: JobContext;
  /** The rule the last event took (its event type): the job machine's transition it stands for. */
  readonly rule: RuledType | undefined;
  readonly output = undefined;
  readonly error = undefined;

  constructor(
    status: 'active' | 'stopped',
    value: LightJobValue,
    context: JobContext,
    rule?: RuledType,
  ) {
    this.status = status;
    this.value = value;
    this.context = context;
    this.rule = rule;
  }

  /** `ended`, in an end state, as the job machine tags its ends. */
  hasTag(tag: string): boolean {
    return tag === 'ended' && this.value !== RUNNING;
  }
}

type Scope = ActorScope<LightJobSnapshot, EventObject>;

/** One event by its rule: the work aborted at once, the frame and JOB_ENDED once it is taken. */
function take(
  snapshot: LightJobSnapshot,
  rule: JobRule<RuledEvent>,
  event: RuledEvent,
  scope: Scope,
  work: LightJobWork,
) {
  const { self, system } = scope;
  if (rule.abort !== undefined) work.abortWork({ self }, { reason: rule.abort });
  const outcome = rule.outcome?.(event);
  // Stryker disable next-line ConditionalExpression: an undefined outcome over an undefined one
  const context = outcome === undefined ? snapshot.context : { ...snapshot.context, outcome };
  const frame = rule.frame?.(context, event);
  // No connection in the system (a harness; a worker whose connection has closed): the frame goes
  // to the job itself, which ignores it, as xstate's sendTo does for the job machine.
  const to = () => (connectionRef({ system }) as AnyActorRef | undefined) ?? self;
  if (frame !== undefined) scope.defer(() => to().send(sendFrame(frame)));
  const end = rule.end;
  // Stryker disable next-line OptionalChaining: a light job always has its parent, the gate
  if (end !== undefined) scope.defer(() => self._parent?.send(endedEvent(context, end)));
  // Stryker disable next-line StringLiteral: see lightJobLogic (status)
  return new LightJobSnapshot('active', end ?? RUNNING, context, event.type);
}

/** A light job's actor logic, named so that declarations can name it. */
export type LightJobLogic = ActorLogic<LightJobSnapshot, EventObject, { job: JobFrame }>;

/** The actor logic of a light job, its work given (src/jobs provides it). */
export function lightJobLogic(work: LightJobWork): LightJobLogic {
  // The snapshot's status keeps ActorLogic's contract ('active', 'stopped' once stopped), which
  // xstate reads only for an actor with a system id or a synced snapshot: a light job has
  // neither, so its mutants are equivalent in this worker, as is the persisted snapshot (nothing
  // persists a worker's actors).
  const logic: LightJobLogic = {
    getInitialSnapshot: (_, input) =>
      // Stryker disable next-line StringLiteral: status
      new LightJobSnapshot('active', RUNNING, jobContextOf(input.job)),
    start: (snapshot, { self }) => work.startWork({ context: snapshot.context, self }),
    transition: (snapshot, event, scope) => {
      // Stryker disable StringLiteral,ConditionalExpression,BlockStatement: status
      if (event.type === 'xstate.stop') {
        return new LightJobSnapshot('stopped', snapshot.value, snapshot.context, snapshot.rule);
      }
      // Stryker restore all
      // An end takes nothing more, as the job machine's ends have no transitions.
      const rule = snapshot.value === RUNNING ? ruleFor(event.type) : undefined;
      if (rule === undefined) return snapshot;
      return take(snapshot, rule, event as RuledEvent, scope, work);
    },
    // Stryker disable next-line ArrowFunction: nothing persists a worker's actors
    getPersistedSnapshot: (snapshot) => snapshot,
  };
  return logic;
}

export type LightJobActor = ActorRefFrom<LightJobLogic>;
