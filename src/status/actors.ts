/**
 * Reading live actors for the status server: which state nodes are active (their ids are the
 * diagrams' SVG element ids), and the part of a context that is safe and useful to show.
 */
import type { AnyActorRef, AnyStateMachine, AnyStateNode, StateValue } from 'xstate';
import { SENSITIVE_NAME } from '../observability/redact.ts';
import { stateName } from '../worker/state.ts';

/** What the status server shows of one actor. */
export type ActorView = {
  /** The actor's id: `worker`, `engine`, `connection`, `gate`, or `job:<job id>`. */
  id: string;
  /** The machine's id (names its diagram), or undefined for a callback or promise actor. */
  machine: string | undefined;
  /** `online.serving`; the actor's status (`active`, `done`) when it is not a machine. */
  state: string;
  /** Ids of every active state node, the root included, e.g. `worker.online.serving`. */
  active: string[];
  context: Record<string, unknown>;
};

type Inspectable = {
  id: string;
  logic?: unknown;
  getSnapshot(): { value?: StateValue; status?: string; context?: unknown };
};

export function viewActor(actor: Inspectable): ActorView {
  const snapshot = actor.getSnapshot();
  const machine = machineOf(actor);
  const hasValue = snapshot.value !== undefined;
  return {
    id: actor.id,
    machine: machine?.id,
    state: hasValue ? stateName(snapshot.value) : (snapshot.status ?? 'unknown'),
    active: machine && hasValue ? activeStateIds(machine, snapshot.value!) : [],
    context: keyContext(snapshot.context),
  };
}

export function machineOf(actor: { logic?: unknown }): AnyStateMachine | undefined {
  const logic = actor.logic as Partial<AnyStateMachine> | undefined;
  return logic?.root === undefined ? undefined : (logic as AnyStateMachine);
}

/** The ids of the state nodes `value` makes active, walking the machine's own nodes. */
export function activeStateIds(machine: AnyStateMachine, value: StateValue): string[] {
  const ids: string[] = [];
  const walk = (node: AnyStateNode, inner: StateValue | undefined) => {
    ids.push(node.id);
    if (inner === undefined) return;
    if (typeof inner === 'string') {
      const child = node.states[inner];
      if (child) walk(child, undefined);
      return;
    }
    for (const [key, grandchild] of Object.entries(inner)) {
      const child = node.states[key];
      if (child) walk(child, grandchild);
    }
  };
  walk(machine.root, value);
  return ids;
}

/**
 * Names whose values are never shown: secrets, presigned URLs (they carry signatures), and a
 * job's payload and result (users' data, however small).
 */
const HIDDEN = new RegExp(`${SENSITIVE_NAME.source}|url$|payload|^result$`, 'i');
const MAX_NESTED_KEYS = 20;
const MAX_STRING = 200;

/**
 * Scalars as they are; arrays, Maps and Sets as their size; small objects of scalars (settings,
 * a failure, start-up phases) one level deep; anything else as its key count. Secrets and
 * payloads never appear: a secret by its name, a payload because it is not a scalar.
 */
export function keyContext(context: unknown): Record<string, unknown> {
  if (typeof context !== 'object' || context === null) return {};
  const shown: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(context)) {
    const summary = HIDDEN.test(key) ? undefined : summarize(value, true);
    if (summary !== undefined) shown[key] = summary;
  }
  return shown;
}

function summarize(value: unknown, nest: boolean): unknown {
  if (typeof value === 'string' && value.length > MAX_STRING) {
    return `${value.slice(0, MAX_STRING)}…`;
  }
  if (value === null || typeof value !== 'object') {
    return typeof value === 'function' ? undefined : value;
  }
  if (Array.isArray(value)) return { size: value.length };
  if (value instanceof Map || value instanceof Set) return { size: value.size };
  const entries = Object.entries(value);
  const scalar = entries.every(([, v]) => v === null || typeof v !== 'object');
  if (!nest || !scalar || entries.length > MAX_NESTED_KEYS) return { size: entries.length };
  return Object.fromEntries(
    entries
      .filter(([k, v]) => !HIDDEN.test(k) && v !== undefined)
      .map(([k, v]) => [k, summarize(v, false)]),
  );
}

/** The root's machine children, by id (engine, connection, gate, leases). */
export function childrenOf(root: AnyActorRef): Record<string, AnyActorRef> {
  const children = (root.getSnapshot() as { children?: Record<string, AnyActorRef | undefined> })
    .children;
  const found = Object.create(null) as Record<string, AnyActorRef>;
  for (const [id, child] of Object.entries(children ?? {})) if (child) found[id] = child;
  return found;
}
