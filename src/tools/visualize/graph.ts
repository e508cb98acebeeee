/**
 * A machine as plain data: every state and every transition, from xstate's own graph of the
 * machine object (`toDirectedGraph` of xstate/graph, plus the eventless `always` transitions,
 * which it leaves out), in document order, each state with the `description` the machine
 * gives it. The diagrams are drawn from this model; the model-based coverage report and the
 * live /debug page read the same one, so ids here match what xstate reports at run time.
 *
 * State ids are xstate's (`engine.running.ready`, also the SVG element ids); a transition is
 * found again at run time by its source state, its event type and its index among that event's
 * candidates (see {@link GraphTransition.id}).
 */
import type { AnyStateMachine, AnyStateNode, AnyTransitionDefinition } from 'xstate';
import { type DirectedGraphNode, toDirectedGraph } from 'xstate/graph';
import { actionName, guardName } from './names.ts';

/** How a state node behaves: xstate's own node types. */
export type StateKind = 'atomic' | 'compound' | 'parallel' | 'final' | 'history';

/** What fires a transition. */
export type TransitionKind =
  /** A named event (`on: { STOP: ... }`). */
  | 'event'
  /** A named or numeric delay (`after: { KILL_GRACE: ... }`). */
  | 'delayed'
  /** Eventless: taken as soon as its guard holds (`always`). */
  | 'always'
  /** An invoked actor finished (`invoke.onDone`). */
  | 'done'
  /** An invoked actor failed (`invoke.onError`). */
  | 'error'
  /** The compound state itself reached a final child (`onDone` of a state). */
  | 'stateDone';

/** An actor a state invokes: it lives exactly as long as the state is active. */
export type GraphInvoke = {
  /** The invoke id xstate uses (generated as `<index>.<state id>` when the config has none). */
  id: string;
  /** What people call it: the explicit id, else the actor's name in `setup({ actors })`. */
  name: string;
  /** The actor's name in `setup({ actors })`; `inline` for logic given in place. */
  src: string;
};

export type GraphState = {
  /** xstate's state node id: the machine id and the path, dot-joined (`engine.running.ready`). */
  id: string;
  /** Keys from the root; `[]` for the root (the machine itself). */
  path: string[];
  /** The last path element; the machine id for the root. */
  key: string;
  kind: StateKind;
  /** The parent's id; undefined for the root. */
  parent: string | undefined;
  /** Child ids in document order. */
  children: string[];
  /** The child entered first (compound states only). */
  initial: string | undefined;
  tags: string[];
  invokes: GraphInvoke[];
  /** The state's `description` in the machine, when it has one. */
  comment: string | undefined;
};

export type GraphTransition = {
  /** Stable and unique: `<source id>|<event>|<index among that event's candidates>`. */
  id: string;
  /** The id of the state that declares the transition. */
  source: string;
  kind: TransitionKind;
  /** The event type as xstate dispatches it (`xstate.after.…`, `xstate.done.actor.…`); '' for always. */
  event: string;
  /** The trigger for people: `STOP`, `after KILL_GRACE`, `done: gpuCheck`, `always`. */
  trigger: string;
  /** Target state ids; empty for a targetless transition (actions only, or an ignored event). */
  targets: string[];
  /** The guard's name (`!a`, `a && b` for xstate's not/and/or); undefined when unguarded. */
  guard: string | undefined;
  /** The delay's name, or `<n>ms` for a literal delay (delayed transitions only). */
  delay: string | undefined;
  /** The invoked actor's name (done and error transitions only). */
  actor: string | undefined;
  /** Action names in order (`xstate.raise` etc. for built-ins, `inline` for anonymous ones). */
  actions: string[];
  /** True when the transition exits and re-enters its source even when it targets itself. */
  reenter: boolean;
};

export type MachineGraph = {
  /** The machine id, which is also the root state's id. */
  id: string;
  /** States in document order (depth first), the root first. */
  states: GraphState[];
  /** Transitions by state in document order; within a state, as xstate orders candidates. */
  transitions: GraphTransition[];
};

/** Walks xstate's directed graph of a machine into a {@link MachineGraph}. */
export function machineGraph(machine: AnyStateMachine): MachineGraph {
  const nodes = allNodes(toDirectedGraph(machine));
  const actorNames = new Map<string, string>();
  for (const { stateNode } of nodes)
    for (const invoke of invokesOf(stateNode)) actorNames.set(invoke.id, invoke.name);
  return {
    id: machine.root.id,
    states: nodes.map(({ stateNode }) => graphState(stateNode)),
    transitions: nodes.flatMap((node) => transitionsOf(node, actorNames)),
  };
}

function allNodes(node: DirectedGraphNode): DirectedGraphNode[] {
  return [node, ...node.children.flatMap(allNodes)];
}

function graphState(node: AnyStateNode): GraphState {
  return {
    id: node.id,
    path: [...node.path],
    key: node.path.length === 0 ? node.id : node.key,
    kind: node.type,
    parent: node.parent?.id,
    children: Object.values(node.states).map((child) => child.id),
    initial: node.type === 'compound' ? node.initial.target[0]?.id : undefined,
    tags: [...node.tags],
    invokes: invokesOf(node),
    comment: node.description,
  };
}

function invokesOf(node: AnyStateNode): GraphInvoke[] {
  return node.invoke.map((invoke, index) => {
    const src = typeof invoke.src === 'string' ? invoke.src : 'inline';
    const generated = invoke.id === `${index}.${node.id}`;
    return { id: invoke.id, name: generated ? src : invoke.id, src };
  });
}

/**
 * The node's transitions: its graph edges (one per target; a targetless one points back at its
 * source) taken once per transition, then its `always` transitions.
 */
function transitionsOf(
  node: DirectedGraphNode,
  actorNames: Map<string, string>,
): GraphTransition[] {
  const { stateNode } = node;
  const transitions = [...new Set(node.edges.map((edge) => edge.transition))];
  const seen = new Map<string, number>();
  const out = transitions.map((t) => {
    const index = seen.get(t.eventType) ?? 0;
    seen.set(t.eventType, index + 1);
    const id = `${stateNode.id}|${t.eventType}|${index}`;
    return graphTransition(stateNode, t, t.eventType, id, actorNames);
  });
  (stateNode.always ?? []).forEach((t, index) => {
    out.push(graphTransition(stateNode, t, '', `${stateNode.id}|always|${index}`, actorNames));
  });
  return out;
}

function graphTransition(
  node: AnyStateNode,
  t: AnyTransitionDefinition,
  event: string,
  id: string,
  actorNames: Map<string, string>,
): GraphTransition {
  const trigger = triggerOf(event, t, actorNames);
  return {
    id,
    source: node.id,
    ...trigger,
    event,
    targets: (t.target ?? []).map((target) => target.id),
    guard: t.guard === undefined ? undefined : guardName(t.guard),
    actions: t.actions.map(actionName),
    reenter: t.reenter,
  };
}

type Trigger = Pick<GraphTransition, 'kind' | 'trigger' | 'delay' | 'actor'>;

const DONE_ACTOR = 'xstate.done.actor.';
const ERROR_ACTOR = 'xstate.error.actor.';
const AFTER = 'xstate.after.';
const DONE_STATE = 'xstate.done.state.';

function triggerOf(
  event: string,
  t: AnyTransitionDefinition,
  actorNames: Map<string, string>,
): Trigger {
  const plain = { delay: undefined, actor: undefined };
  if (event === '') return { ...plain, kind: 'always', trigger: 'always' };
  if (event.startsWith(AFTER)) {
    const raw = (t as { delay?: unknown }).delay;
    const delay = typeof raw === 'number' ? `${raw}ms` : typeof raw === 'string' ? raw : 'dynamic';
    return { kind: 'delayed', trigger: `after ${delay}`, delay, actor: undefined };
  }
  if (event.startsWith(DONE_ACTOR) || event.startsWith(ERROR_ACTOR)) {
    const kind = event.startsWith(DONE_ACTOR) ? 'done' : 'error';
    const invokeId = event.slice((kind === 'done' ? DONE_ACTOR : ERROR_ACTOR).length);
    const actor = actorNames.get(invokeId) ?? invokeId;
    return { kind, trigger: `${kind}: ${actor}`, delay: undefined, actor };
  }
  if (event.startsWith(DONE_STATE)) return { ...plain, kind: 'stateDone', trigger: 'onDone' };
  return { ...plain, kind: 'event', trigger: event };
}
