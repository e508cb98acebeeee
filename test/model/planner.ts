/**
 * Walk planning: from xstate/graph's adjacency map of a machine, the shortest event sequence
 * that takes each transition and each pair of consecutive transitions (1-switch coverage),
 * then a small set of those sequences that together take every reachable transition and pair
 * (longest first, each kept only if it adds one).
 */
import {
  type AnyMachineSnapshot,
  type AnyStateMachine,
  type EventObject,
  getMicrosteps,
} from 'xstate';
import type { AdjacencyMap, StatePath, TestModel } from 'xstate/graph';
import { activeStateIds, transitionIdOf } from './coverage.ts';

export type PlannedWalk = {
  /** The events, in order, from the initial state. */
  events: EventObject[];
  /** The model's path: the initial state, then each event and the state it leads to. */
  path: StatePath<AnyMachineSnapshot, EventObject>;
  /** Transition ids the walk takes, in the model. */
  transitions: string[];
  /** State ids the walk visits, in the model. */
  states: string[];
  /** Pairs of consecutive transitions the walk takes (`<first> > <second>`), in the model. */
  pairs: string[];
};

/** The id of a pair of consecutive transitions. */
export const pairId = (first: string, second: string) => `${first} > ${second}`;

/** The pairs of consecutive transitions in a sequence of transitions. */
export function pairsIn(transitions: readonly string[]): string[] {
  return transitions.slice(1).map((second, i) => pairId(transitions[i]!, second));
}

/**
 * The transitions one event takes from `snapshot`, with those that follow in the same
 * macrostep: eventless ones, and those of events its actions raise (without a delay).
 */
export function stepTransitions(
  machine: AnyStateMachine,
  snapshot: AnyMachineSnapshot,
  event: EventObject,
): string[] {
  const ids = machine.getTransitionData(snapshot, event).map(transitionIdOf);
  const microsteps = getMicrosteps(machine, snapshot, event);
  const steps = microsteps.map(([next]) => next as AnyMachineSnapshot);
  const raised: EventObject[] = [];
  for (let k = 1; k < steps.length; k++) {
    raised.push(...raisedBy(microsteps[k - 1]![1]));
    const eventless = eventlessBetween(machine, steps[k - 1]!, steps[k]!);
    if (eventless !== undefined) ids.push(eventless);
    else if (raised.length > 0) {
      ids.push(...machine.getTransitionData(steps[k - 1]!, raised.shift()!).map(transitionIdOf));
    }
  }
  return ids;
}

/** The events a microstep's actions raise at once (delayed ones come later, as events). */
function raisedBy(actions: readonly { type: string; params?: unknown }[]): EventObject[] {
  return actions.flatMap(({ type, params }) => {
    const raise = params as { event?: EventObject; delay?: unknown } | undefined;
    return type === 'xstate.raise' && raise?.event && raise.delay === undefined
      ? [raise.event]
      : [];
  });
}

/** Which `always` transition led from one microstep to the next (matched by its targets). */
function eventlessBetween(
  machine: AnyStateMachine,
  before: AnyMachineSnapshot,
  after: AnyMachineSnapshot,
): string | undefined {
  const active = new Set(activeStateIds(machine.id, after.value));
  for (const id of activeStateIds(machine.id, before.value).reverse()) {
    const node = machine.getStateNodeById(id);
    for (const t of node.always ?? []) {
      if ((t.target ?? []).every((target) => active.has(target.id))) return transitionIdOf(t);
    }
  }
  return undefined;
}

type Visit = { key: string; depth: number; via?: { from: string; event: EventObject } };

type Adjacency = AdjacencyMap<AnyMachineSnapshot, EventObject>;

/** The key of a state in the adjacency map (the model's `serializeState`). */
type Serialize = (snapshot: AnyMachineSnapshot) => string;

export type PlanOptions = {
  /** Plan walks for every reachable pair too, not only for every transition. */
  walkPairs: boolean;
  /** States a walk never ends in (ModelSpec's `restless`). */
  restless: (snapshot: AnyMachineSnapshot) => boolean;
  /** Few long walks that chain many transitions and pairs each (ModelSpec's `longWalks`). */
  longWalks?: boolean;
  /** Whether a long walk may be these events (ModelSpec's `fits`). Default: any. */
  fits?: (events: readonly EventObject[]) => boolean;
  /** Pairs the real world cannot take, each with why (ModelSpec's `unreachable`). */
  unreachable?: Unreachable[];
};

/** Pairs of the model the real actors cannot take, and why. */
export type Unreachable = { why: string; pairs: (pair: string) => boolean };

/** Why the real world cannot take a pair, if a listed reason says so. */
export function whyUnreachable(pair: string, unreachable: Unreachable[] = []): string | undefined {
  return unreachable.find((u) => u.pairs(pair))?.why;
}

/** Walks that take every reachable transition (and pair), and every reachable pair's id. */
export function planWalks(
  machine: AnyStateMachine,
  model: TestModel<AnyMachineSnapshot, EventObject, unknown>,
  serialize: Serialize,
  options: PlanOptions,
): { walks: PlannedWalk[]; pairs: string[]; unreachable: Record<string, string[]> } {
  const adjacency = model.getAdjacencyMap();
  const keys = Object.keys(adjacency);
  const visits = new Map<string, Visit>([[keys[0]!, { key: keys[0]!, depth: 0 }]]);
  const queue = [keys[0]!];
  while (queue.length > 0) {
    const from = queue.shift()!;
    for (const { event, state } of Object.values(adjacency[from as never]!.transitions)) {
      const to = serialize(state);
      if (!(to in adjacency) || visits.has(to)) continue;
      visits.set(to, { key: to, depth: visits.get(from)!.depth + 1, via: { from, event } });
      queue.push(to);
    }
  }
  const eventsTo = (key: string): EventObject[] => {
    const visit = visits.get(key)!;
    return visit.via ? [...eventsTo(visit.via.from), visit.via.event] : [];
  };
  const best = new Map<string, EventObject[]>();
  const pairs = new Set<string>();
  const unreachable: Record<string, Set<string>> = {};
  const keep = (id: string, walk: EventObject[]) => {
    const pair = id.includes(' > ');
    const why = pair ? whyUnreachable(id, options.unreachable) : undefined;
    if (why !== undefined) {
      unreachable[why] = new Set([...(unreachable[why] ?? []), id]);
      return;
    }
    if (pair) pairs.add(id);
    if (pair && !options.walkPairs) return;
    if (!best.has(id) || best.get(id)!.length > walk.length) best.set(id, walk);
  };
  const steps = stepsOf(machine, adjacency, serialize);
  /** A walk goes on from a restless state the way the real world does (its first way out). */
  const finished = (events: EventObject[], key: string | undefined): EventObject[] => {
    const way =
      key !== undefined && options.restless(adjacency[key as never]!.state) && steps(key)[0];
    return way ? finished([...events, way.event], way.next) : events;
  };
  for (const key of keys) {
    if (!visits.has(key)) continue;
    for (const { event, ids, next } of steps(key)) {
      const walk = [...eventsTo(key), event];
      for (const id of [...ids, ...pairsIn(ids)]) keep(id, finished(walk, next));
      // Each transition followed by each the next state can take: the pairs across two steps.
      for (const after of next === undefined ? [] : steps(next)) {
        keep(pairId(ids.at(-1)!, after.ids[0]!), finished([...walk, after.event], after.next));
      }
    }
  }
  if (!options.longWalks) {
    const walks = chooseCover(machine, adjacency, keys[0]!, [...best.values()], serialize);
    return { walks, pairs: [...pairs], unreachable: listed(unreachable) };
  }
  const targets = new Set(best.keys());
  const chained = chainWalks(adjacency, keys[0]!, steps, targets, options);
  if (targets.size > 0) {
    throw new Error(
      `no long walk fits these transitions and pairs (list each pair the real world cannot take in the suite's \`unreachable\`, with why): ${[...targets].join(', ')}`,
    );
  }
  const walks = chained.map((events) => trace(machine, adjacency, keys[0]!, events, serialize));
  return { walks, pairs: [...pairs], unreachable: listed(unreachable) };
}

const listed = (sets: Record<string, Set<string>>) =>
  Object.fromEntries(Object.entries(sets).map(([why, ids]) => [why, [...ids].sort()]));

/** Where a long walk is: a state of the adjacency map, and the last transition taken there. */
type Position = { key: string; last: string | undefined };

/**
 * Long walks, for machines whose walks each start a process: each walk goes from where it is
 * to the nearest step that takes a transition or pair no walk has taken yet (breadth first,
 * over states and the transition that led in, since a pair needs both), takes it, and goes on
 * from there; it ends where no such step can be reached any more (a final state), or where
 * `fits` refuses every way on (a timer the walk sets up for one step must not fire in another);
 * the next walk starts again from the initial state, until none takes anything new.
 */
function chainWalks(
  adjacency: Adjacency,
  initial: string,
  steps: (key: string) => Step[],
  targets: Set<string>,
  options: PlanOptions,
): EventObject[][] {
  const { restless, fits = () => true } = options;
  const gains = (at: Position, step: Step) => {
    const ids = [...step.ids, ...pairsIn(step.ids)];
    if (at.last !== undefined) ids.push(pairId(at.last, step.ids[0]!));
    return ids.filter((id) => targets.has(id));
  };
  /** The steps a walk may take from a state: only the real world's own way out of a restless one. */
  const waysOut = (key: string) => {
    const all = steps(key).filter((step) => step.next !== undefined);
    return restless(adjacency[key as never]!.state) ? all.slice(0, 1) : all;
  };
  /** The nearest step that gains something, and the steps that lead to it. */
  const nearest = (from: Position, walk: EventObject[]): Step[] | undefined => {
    const id = (p: Position) => `${p.key}\u0000${p.last}`;
    const seen = new Set([id(from)]);
    let frontier: { at: Position; path: Step[] }[] = [{ at: from, path: [] }];
    while (frontier.length > 0) {
      const next: typeof frontier = [];
      for (const { at, path } of frontier) {
        const events = [...walk, ...path.map((step) => step.event)];
        for (const step of waysOut(at.key)) {
          if (!fits([...events, step.event])) continue;
          if (gains(at, step).length > 0) return [...path, step];
          const to = { key: step.next!, last: step.ids.at(-1) };
          if (seen.has(id(to))) continue;
          seen.add(id(to));
          next.push({ at: to, path: [...path, step] });
        }
      }
      frontier = next;
    }
    return undefined;
  };
  const walks: EventObject[][] = [];
  for (;;) {
    let at: Position = { key: initial, last: undefined };
    const walk: EventObject[] = [];
    for (let way = nearest(at, walk); way !== undefined; way = nearest(at, walk)) {
      for (const step of way) {
        for (const id of gains(at, step)) targets.delete(id);
        walk.push(step.event);
        at = { key: step.next!, last: step.ids.at(-1) };
      }
    }
    if (walk.length === 0) return walks;
    // A walk goes on from a restless state the way the real world does.
    while (restless(adjacency[at.key as never]!.state) && waysOut(at.key).length > 0) {
      const [step] = waysOut(at.key);
      walk.push(step!.event);
      at = { key: step!.next!, last: step!.ids.at(-1) };
    }
    walks.push(walk);
  }
}

type Step = { event: EventObject; ids: string[]; next: string | undefined };

/** The steps out of each state of the adjacency map (memoized: each is asked for often). */
function stepsOf(machine: AnyStateMachine, adjacency: Adjacency, serialize: Serialize) {
  const memo = new Map<string, Step[]>();
  return (key: string): Step[] => {
    const known = memo.get(key);
    if (known !== undefined) return known;
    const entry = adjacency[key as never]!;
    const steps = Object.values(entry.transitions)
      .map(({ event, state }) => {
        const next = serialize(state);
        const ids = stepTransitions(machine, entry.state, event);
        return { event, ids, next: next in adjacency ? next : undefined };
      })
      .filter((step) => step.ids.length > 0);
    memo.set(key, steps);
    return steps;
  };
}

/** Replays `events` on the model: its path, every transition taken and state visited. */
function trace(
  machine: AnyStateMachine,
  adjacency: Adjacency,
  initial: string,
  events: EventObject[],
  serialize: Serialize,
): PlannedWalk {
  let key = initial;
  let snapshot = adjacency[key as never]!.state;
  const steps = [{ event: { type: 'xstate.init' }, state: snapshot }];
  const transitions: string[] = [];
  const states = new Set(activeStateIds(machine.id, snapshot.value));
  for (const event of events) {
    const next = adjacency[key as never]?.transitions[JSON.stringify(event) as never];
    if (next === undefined) {
      throw new Error(`${JSON.stringify(event)} is not possible in the model from ${key}`);
    }
    transitions.push(...stepTransitions(machine, snapshot, event));
    snapshot = next.state;
    key = serialize(snapshot);
    steps.push({ event, state: snapshot });
    for (const id of activeStateIds(machine.id, snapshot.value)) states.add(id);
  }
  const path = { state: snapshot, steps, weight: steps.length };
  return { events, path, transitions, states: [...states], pairs: pairsIn(transitions) };
}

/** A walk given as events (a scenario), checked against the model and traced like a planned one. */
export function planScenario(
  machine: AnyStateMachine,
  model: TestModel<AnyMachineSnapshot, EventObject, unknown>,
  events: EventObject[],
  serialize: Serialize,
): PlannedWalk {
  const adjacency = model.getAdjacencyMap();
  return trace(machine, adjacency, Object.keys(adjacency)[0]!, events, serialize);
}

function chooseCover(
  machine: AnyStateMachine,
  adjacency: Adjacency,
  initial: string,
  candidates: EventObject[][],
  serialize: Serialize,
): PlannedWalk[] {
  const unique = new Map(candidates.map((events) => [JSON.stringify(events), events]));
  const walks = [...unique.values()]
    .sort((a, b) => b.length - a.length)
    .map((events) => trace(machine, adjacency, initial, events, serialize));
  const covered = new Set<string>();
  const chosen: PlannedWalk[] = [];
  for (const walk of walks) {
    const ids = [...walk.transitions, ...walk.pairs];
    if (ids.every((id) => covered.has(id))) continue;
    chosen.push(walk);
    for (const id of ids) covered.add(id);
  }
  return chosen;
}
