/**
 * What both diagram formats draw, decided once: which transitions are arrows and from where,
 * which are listed inside a state (targetless ones, as UML's internal transitions), and the
 * labels. A transition declared on a compound state that targets the state itself or one of
 * its descendants is drawn from that state's "any state" box, since it applies in every child.
 */
import type { GraphState, GraphTransition, MachineGraph } from './graph.ts';

export type Edge = {
  transition: GraphTransition;
  source: GraphState;
  target: GraphState;
  /** Drawn from the source's "any state" box, inside it, not from its border. */
  fromAnchor: boolean;
};

export type Diagram = {
  graph: MachineGraph;
  root: GraphState;
  byId: ReadonlyMap<string, GraphState>;
  /** One per transition target, in the graph's order. */
  edges: Edge[];
  /** Targetless transitions by the id of the state that declares them. */
  internal: ReadonlyMap<string, GraphTransition[]>;
  /** Compound and parallel states that get an "any state" box. */
  anchored: ReadonlySet<string>;
};

export function diagramOf(graph: MachineGraph): Diagram {
  const byId = new Map(graph.states.map((state) => [state.id, state]));
  const root = graph.states[0]!;
  const edges: Edge[] = [];
  const internal = new Map<string, GraphTransition[]>();
  const anchored = new Set<string>();
  for (const transition of graph.transitions) {
    const source = byId.get(transition.source)!;
    const compound = source.children.length > 0;
    if (transition.targets.length === 0) {
      internal.set(source.id, [...(internal.get(source.id) ?? []), transition]);
      if (compound) anchored.add(source.id);
    }
    for (const targetId of transition.targets) {
      const target = byId.get(targetId)!;
      const fromAnchor = compound && isWithin(byId, target.id, source.id);
      if (fromAnchor) anchored.add(source.id);
      edges.push({ transition, source, target, fromAnchor });
    }
  }
  return { graph, root, byId, edges, internal, anchored };
}

/** True when `id` is `ancestor` or one of its descendants. */
export function isWithin(
  byId: ReadonlyMap<string, GraphState>,
  id: string,
  ancestor: string,
): boolean {
  for (let at: string | undefined = id; at !== undefined; at = byId.get(at)?.parent) {
    if (at === ancestor) return true;
  }
  return false;
}

/** `EVENT [guard]`, `after DELAY`, `always [guard]`, `done: actor`. */
export function transitionLabel(transition: GraphTransition): string {
  return transition.guard === undefined
    ? transition.trigger
    : `${transition.trigger} [${transition.guard}]`;
}

/** A targetless transition as a line in its state: marked when it only swallows the event. */
export function internalLabel(transition: GraphTransition): string {
  const label = transitionLabel(transition);
  return transition.actions.length === 0 ? `${label} (ignored)` : label;
}

/** The lines a state shows under its name: invoked actors and tags. */
export function stateDetails(state: GraphState): string[] {
  return [
    ...state.invokes.map((invoke) => `invoke ${invoke.name}`),
    ...state.tags.map((tag) => `tag ${tag}`),
  ];
}
