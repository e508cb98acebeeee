/**
 * DOT to SVG offline: Graphviz compiled to WebAssembly (@viz-js/viz), no binary and no network.
 * Each machine is laid out both ways and keeps the direction that reads best on a README page.
 */
import { instance, type Viz } from '@viz-js/viz';
import { toDot } from './dot.ts';
import type { MachineGraph } from './graph.ts';
import type { Direction } from './mermaid.ts';

/** The room a README gives a diagram, in SVG points (GitHub's column is about 880 px wide). */
const PAGE = { width: 880, height: 1_200 };

export type Rendered = { direction: Direction; dot: string; svg: string };

let viz: Promise<Viz> | undefined;

/** Fails on any Graphviz warning too: one means an arrow or a cluster was drawn wrong. */
export async function renderSvg(dot: string): Promise<string> {
  viz ??= instance();
  const result = (await viz).render(dot, { format: 'svg', engine: 'dot' });
  if (result.status === 'success' && result.errors.length === 0) return result.output;
  const messages = result.errors.map((e) => `${e.level ?? 'error'}: ${e.message}`).join('; ');
  throw new Error(`Graphviz could not draw the generated DOT cleanly: ${messages}`);
}

/** Renders LR and TB and keeps the one that must shrink least to fit {@link PAGE} (LR on ties). */
export async function renderReadable(graph: MachineGraph): Promise<Rendered> {
  const candidates: Rendered[] = [];
  for (const direction of ['LR', 'TB'] as const) {
    const dot = toDot(graph, direction);
    candidates.push({ direction, dot, svg: await renderSvg(dot) });
  }
  const shrink = ({ svg }: Rendered) => {
    const [width, height] = svgSize(svg);
    return Math.max(width / PAGE.width, height / PAGE.height);
  };
  return candidates.reduce((best, next) => (shrink(next) < shrink(best) ? next : best));
}

function svgSize(svg: string): [number, number] {
  const box = /viewBox="[\d.]+ [\d.]+ ([\d.]+) ([\d.]+)"/.exec(svg);
  if (box === null) throw new Error('Graphviz returned an SVG without a viewBox');
  return [Number(box[1]), Number(box[2])];
}
