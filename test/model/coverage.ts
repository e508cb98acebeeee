/**
 * Model coverage, computed from the machines themselves: the states are every state node, the
 * transitions every transition definition (its source state, event, guard branch and targets),
 * identified as the diagrams identify them (`<source>|<event>|<index>`, src/tools/visualize/graph.ts).
 * What the real actors did is recorded from their inspection events during the walks.
 */
import type {
  AnyStateMachine,
  AnyStateNode,
  AnyTransitionDefinition,
  EventObject,
  InspectionEvent,
  StateValue,
} from 'xstate';
import type { RuleMeta } from '../../machines/job.machine.ts';
import { LightJobSnapshot } from '../../machines/light-job.ts';
import { machineGraph } from '../../src/tools/visualize/graph.ts';

/** The id of a transition definition, as `machineGraph` names it. */
export function transitionIdOf(t: AnyTransitionDefinition): string {
  const { source } = t;
  const candidates = t.eventType === '' ? undefined : source.transitions.get(t.eventType);
  if (candidates?.includes(t)) return `${source.id}|${t.eventType}|${candidates.indexOf(t)}`;
  return `${source.id}|always|${(source.always ?? []).indexOf(t)}`;
}

/** The ids of every state node active in `value` (the root included). */
export function activeStateIds(machineId: string, value: StateValue): string[] {
  const ids = [machineId];
  const walk = (prefix: string, node: StateValue) => {
    if (typeof node === 'string') {
      ids.push(`${prefix}.${node}`);
      return;
    }
    for (const [key, child] of Object.entries(node)) {
      ids.push(`${prefix}.${key}`);
      if (child !== undefined) walk(`${prefix}.${key}`, child as StateValue);
    }
  };
  walk(machineId, value);
  return ids;
}

export type MachineTotals = {
  states: string[];
  transitions: string[];
  /** The pairs of consecutive transitions the model can take (from its walks' plan). */
  pairs: string[];
  /** Pairs the model can take and the real actors cannot, by why (ModelSpec's `unreachable`). */
  unreachable: Record<string, string[]>;
};

export function totalsOf(machine: AnyStateMachine): Omit<MachineTotals, 'pairs' | 'unreachable'> {
  const graph = machineGraph(machine);
  return {
    states: graph.states.map((state) => state.id),
    transitions: graph.transitions.map((transition) => transition.id),
  };
}

type Snapshotish = { value?: StateValue; machine?: { id: string } };

/**
 * The machine's transitions built from a rule of job-rules.ts, by rule: the transition a light
 * job's step stands for (light-job.ts runs the same rules without the machine).
 */
export function ruleTransitions(machine: AnyStateMachine): Map<string, string> {
  const byRule = new Map<string, string>();
  const walk = (node: AnyStateNode) => {
    for (const candidates of node.transitions.values()) {
      for (const t of candidates) {
        const rule = (t.meta as RuleMeta | undefined)?.rule;
        if (rule !== undefined) byRule.set(rule, transitionIdOf(t));
      }
    }
    for (const child of Object.values(node.states)) walk(child);
  };
  walk(machine.root);
  return byRule;
}

/**
 * Records, from inspection events, the states entered and transitions taken by every actor of
 * one machine (by machine id), and which walk it was. A light job (light-job.ts) counts as an
 * actor of the job machine: its states are the machine's, and each rule it takes is the
 * machine's transition built from that rule.
 */
export class CoverageRecorder {
  readonly states = new Map<string, string>();
  readonly transitions = new Map<string, string>();
  /** Pairs of consecutive transitions one actor took (`<first> > <second>`). */
  readonly pairs = new Map<string, string>();
  /** Each actor's last transition, by session id. */
  readonly #last = new Map<string, string>();
  readonly machineId: string;
  readonly #byRule: Map<string, string>;
  /** Each light job's last snapshot, by session id: a step is a new snapshot with a rule. */
  readonly #lightSeen = new Map<string, LightJobSnapshot>();
  /** Events the real world sends besides the walk's, left out of the pairs (ModelSpec's `incidental`). */
  readonly #incidental: (event: EventObject) => boolean;
  walk = '';

  /** Event types that recur by themselves (ModelSpec's `recurring`). */
  readonly #recurring: ReadonlySet<string>;
  /** How many firings of each recurring type the walk has caused and not yet seen handled. */
  readonly #awaited = new Map<string, number>();

  constructor(
    machine: AnyStateMachine,
    incidental: (event: EventObject) => boolean = () => false,
    recurring: readonly string[] = [],
  ) {
    this.machineId = machine.id;
    this.#byRule = ruleTransitions(machine);
    this.#incidental = incidental;
    this.#recurring = new Set(recurring);
  }

  /** The walk is about to cause `event`: a recurring one counts in the pairs when it comes. */
  causing(event: EventObject): void {
    if (this.#recurring.has(event.type)) {
      this.#awaited.set(event.type, (this.#awaited.get(event.type) ?? 0) + 1);
    }
  }

  /** Whether a transition on `event` is left out of the pairs: incidental, or a recurring firing the walk does not wait for. */
  #outOfPairs(event: EventObject): boolean {
    if (this.#incidental(event)) return true;
    if (!this.#recurring.has(event.type)) return false;
    const awaited = this.#awaited.get(event.type) ?? 0;
    if (awaited === 0) return true;
    this.#awaited.set(event.type, awaited - 1);
    return false;
  }

  #isMine(snapshot: unknown): boolean {
    if (snapshot instanceof LightJobSnapshot) return this.#byRule.size > 0;
    return (snapshot as Snapshotish | undefined)?.machine?.id === this.machineId;
  }

  /** Events the machine's actors received, in order, for drivers to wait on. */
  readonly received: EventObject[] = [];
  #waiters = new Set<{ from: number; match: (event: EventObject) => boolean; done: () => void }>();

  readonly inspect = (event: InspectionEvent): void => {
    if (event.type === '@xstate.event') {
      const target = event.actorRef as { getSnapshot?: () => unknown };
      if (this.#isMine(target.getSnapshot?.())) this.#receive(event.event);
      return;
    }
    if (event.type === '@xstate.snapshot' && event.snapshot instanceof LightJobSnapshot) {
      if (this.#byRule.size > 0) this.#lightStep(event.actorRef.sessionId, event.snapshot, event);
      return;
    }
    if (event.type !== '@xstate.microstep' && event.type !== '@xstate.snapshot') return;
    const snapshot = event.snapshot as Snapshotish;
    if (snapshot.machine?.id !== this.machineId || snapshot.value === undefined) return;
    for (const id of activeStateIds(this.machineId, snapshot.value)) this.#note(this.states, id);
    if (event.type === '@xstate.microstep') {
      const actor = event.actorRef.sessionId;
      const outOfPairs = event._transitions.length > 0 && this.#outOfPairs(event.event);
      for (const t of event._transitions) this.#took(actor, transitionIdOf(t), outOfPairs);
    }
  };

  #took(actor: string, id: string, outOfPairs: boolean): void {
    this.#note(this.transitions, id);
    if (outOfPairs) return;
    const last = this.#last.get(actor);
    if (last !== undefined) this.#note(this.pairs, `${last} > ${id}`);
    this.#last.set(actor, id);
  }

  /** A light job's snapshot: its states, and the machine's transition its rule stands for. */
  #lightStep(actor: string, snapshot: LightJobSnapshot, inspected: { event: EventObject }): void {
    for (const id of activeStateIds(this.machineId, snapshot.value)) this.#note(this.states, id);
    const stepped =
      this.#lightSeen.get(actor) !== snapshot && snapshot.rule === inspected.event.type;
    this.#lightSeen.set(actor, snapshot);
    if (!stepped) return;
    const id = this.#byRule.get(snapshot.rule!);
    if (id === undefined) {
      throw new Error(`the rule ${snapshot.rule} is no transition of ${this.machineId}`);
    }
    this.#took(actor, id, this.#outOfPairs(inspected.event));
  }

  /** A position in `received`: wait for events after it. */
  mark(): number {
    return this.received.length;
  }

  /** Resolves when an actor of the machine has received a matching event after `from`. */
  waitForEvent(match: (event: EventObject) => boolean, from: number, timeoutMs = 5_000) {
    if (this.received.slice(from).some(match)) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#waiters.delete(waiter);
        const seen = this.received.slice(from).map((e) => e.type);
        reject(
          new Error(
            `no matching event reached ${this.machineId} (after: ${seen.join(', ') || 'none'})`,
          ),
        );
      }, timeoutMs);
      const waiter = {
        from,
        match,
        done: () => {
          clearTimeout(timer);
          resolve();
        },
      };
      this.#waiters.add(waiter);
    });
  }

  /**
   * Waits for the first matching event after `from` and resolves with the position just past
   * it: a driver that takes events in order waits for the next one from there.
   */
  async waitPast(match: (event: EventObject) => boolean, from: number): Promise<number> {
    await this.waitForEvent(match, from);
    return this.received.findIndex((event, i) => i >= from && match(event)) + 1;
  }

  #receive(event: EventObject): void {
    this.received.push(event);
    for (const waiter of this.#waiters) {
      if (waiter.match(event)) {
        this.#waiters.delete(waiter);
        waiter.done();
      }
    }
  }

  #note(into: Map<string, string>, id: string): void {
    if (!into.has(id)) into.set(id, this.walk);
  }
}

type Part = { total: number; covered: number; missing: string[] };

export type MachineReport = {
  states: Part;
  transitions: Part;
  /**
   * Pairs of consecutive transitions; `reachable` lists them all (suites of a machine merge);
   * `walked`: walks were planned for each (else a missing pair is reported, not a failure).
   */
  pairs: Part & {
    reachable: string[];
    walked: boolean;
    /** Pairs of the model the real actors cannot take, by why: not in the total. */
    unreachable: Record<string, string[]>;
  };
  /** Which walk first covered each state and transition. */
  coveredBy: Record<string, string>;
};

export function reportOf(
  totals: MachineTotals,
  recorder: CoverageRecorder,
  walked: boolean,
): MachineReport {
  const part = (all: string[], seen: Map<string, string>) => {
    const missing = all.filter((id) => !seen.has(id));
    return { total: all.length, covered: all.length - missing.length, missing };
  };
  const coveredBy: Record<string, string> = {};
  for (const [id, walk] of [...recorder.states, ...recorder.transitions]) coveredBy[id] = walk;
  return {
    states: part(totals.states, recorder.states),
    transitions: part(totals.transitions, recorder.transitions),
    pairs: {
      ...part(totals.pairs, recorder.pairs),
      reachable: totals.pairs,
      walked,
      unreachable: totals.unreachable,
    },
    coveredBy,
  };
}
