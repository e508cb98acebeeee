/**
 * A machine as a Graphviz DOT graph: compound and parallel states (the machine included) are
 * clusters, with a dot for their initial state; final states have a double border; delayed
 * arrows are dashed, eventless ones dotted, actor failures red. Arrows to or from a compound
 * state end at its border (`compound=true` with lhead/ltail). SVG ids are the state ids and
 * tooltips the state comments, so a page can find and explain each state.
 */
import {
  type Diagram,
  diagramOf,
  type Edge,
  internalLabel,
  isWithin,
  stateDetails,
  transitionLabel,
} from './diagram.ts';
import type { GraphState, MachineGraph, TransitionKind } from './graph.ts';
import { type Direction, GENERATED_NOTICE } from './mermaid.ts';

const FONT = 'Helvetica';
const INK = '#2d3748';
const MUTED = '#718096';
const FILLS = ['#f7fafc', '#edf2f7', '#e2e8f0'];

const EDGE_STYLE: Record<TransitionKind, string> = {
  event: '',
  delayed: 'style=dashed',
  always: 'style=dotted, penwidth=1.6',
  done: '',
  error: `color="#c53030", fontcolor="#c53030"`,
  stateDone: '',
};

export function toDot(graph: MachineGraph, direction: Direction = 'LR'): string {
  const diagram = diagramOf(graph);
  const lines = [
    `digraph ${quote(graph.id)} {`,
    `  graph [comment=${quote(GENERATED_NOTICE)}, compound=true, rankdir=${direction}, fontname=${FONT}, fontsize=11, nodesep=0.3, ranksep=0.4, pad=0.2, tooltip=${quote(graph.id)}]`,
    `  node [shape=box, style="rounded,filled", fillcolor=white, color="${INK}", fontname=${FONT}, fontsize=11, margin="0.1,0.04"]`,
    `  edge [color="${INK}", fontcolor="${INK}", fontname=${FONT}, fontsize=9, arrowsize=0.7]`,
    ...cluster(diagram, diagram.root, 1),
    ...diagram.edges.map((edge) => `  ${edgeLine(diagram, edge)}`),
    '}',
  ];
  return `${lines.join('\n')}\n`;
}

function cluster(diagram: Diagram, state: GraphState, depth: number): string[] {
  const pad = '  '.repeat(depth);
  const style = state.kind === 'parallel' ? 'rounded,filled,dashed' : 'rounded,filled';
  const lines = [
    `${pad}subgraph ${quote(`cluster_${state.id}`)} {`,
    `${pad}  graph [${attrs(state)} label=${html(state.key, stateDetails(state))}, labeljust=l, style="${style}", fillcolor="${FILLS[(depth - 1) % FILLS.length]}", color="${MUTED}"]`,
  ];
  if (state.kind === 'parallel') {
    lines.push(`${pad}  ${quote(port(state))} [shape=point, style=invis, width=0.01]`);
  } else {
    lines.push(`${pad}  ${quote(port(state))} [shape=point, width=0.12, fillcolor="${INK}"]`);
    const initial = diagram.byId.get(state.initial!)!;
    const into = initial.children.length > 0 ? ` [lhead=${quote(`cluster_${initial.id}`)}]` : '';
    lines.push(`${pad}  ${quote(port(state))} -> ${quote(entry(initial))}${into}`);
  }
  if (diagram.anchored.has(state.id)) {
    const rows = (diagram.internal.get(state.id) ?? []).map(internalLabel);
    lines.push(
      `${pad}  ${quote(anchor(state))} [label=${html('any state', rows)}, style="rounded,dashed", fontcolor="${MUTED}", color="${MUTED}"]`,
    );
  }
  for (const childId of state.children) {
    const child = diagram.byId.get(childId)!;
    if (child.children.length > 0) lines.push(...cluster(diagram, child, depth + 1));
    else lines.push(`${pad}  ${node(diagram, child)}`);
  }
  lines.push(`${pad}}`);
  return lines;
}

function node(diagram: Diagram, state: GraphState): string {
  const rows = [
    ...stateDetails(state),
    ...(diagram.internal.get(state.id) ?? []).map(internalLabel),
  ];
  const shape = state.kind === 'final' ? ', style=filled, peripheries=2' : '';
  const history = state.kind === 'history' ? ', shape=circle' : '';
  return `${quote(state.id)} [${attrs(state)} label=${html(state.key, rows)}${shape}${history}]`;
}

function edgeLine(diagram: Diagram, edge: Edge): string {
  const { source, target, transition } = edge;
  const compoundSource = source.children.length > 0;
  let tail = source.id;
  const extra: string[] = [];
  if (edge.fromAnchor) tail = anchor(source);
  else if (compoundSource) {
    tail = diagram.anchored.has(source.id) ? anchor(source) : port(source);
    extra.push(`ltail=${quote(`cluster_${source.id}`)}`);
  }
  const head = entry(target);
  if (target.children.length > 0) {
    if (!isWithin(diagram.byId, source.id, target.id)) {
      extra.push(`lhead=${quote(`cluster_${target.id}`)}`);
    }
  }
  const style = EDGE_STYLE[transition.kind];
  if (style !== '') extra.push(style);
  const label = quote(transitionLabel(transition).replace(' [', '\n['));
  return `${quote(tail)} -> ${quote(head)} [label=${label}${extra.map((a) => `, ${a}`).join('')}]`;
}

/** The SVG id and, when the source has one, the tooltip of a state. */
function attrs(state: GraphState): string {
  const tooltip = state.comment ?? state.path.join('.');
  return `id=${quote(state.id)}, tooltip=${quote(tooltip === '' ? state.key : tooltip)},`;
}

/** The node an arrow into the state points at: the state, or a compound's initial dot. */
function entry(state: GraphState): string {
  return state.children.length > 0 ? port(state) : state.id;
}

function port(state: GraphState): string {
  return `${state.id}/initial`;
}

function anchor(state: GraphState): string {
  return `${state.id}/any`;
}

/** An HTML-like label: the name in bold over its detail lines, left-aligned. */
function html(title: string, rows: string[]): string {
  const head = `<TR><TD><B>${escapeHtml(title)}</B></TD></TR>`;
  const body = rows.map(
    (row) =>
      `<TR><TD ALIGN="LEFT"><FONT POINT-SIZE="9" COLOR="${MUTED}">${escapeHtml(row)}</FONT></TD></TR>`,
  );
  const divider = rows.length > 0 ? '<HR/>' : '';
  return `<<TABLE BORDER="0" CELLBORDER="0" CELLSPACING="0" CELLPADDING="1">${head}${divider}${body.join('')}</TABLE>>`;
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"]/g, (c) => `&#${c.charCodeAt(0)};`);
}

function quote(text: string): string {
  return `"${text.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')}"`;
}
