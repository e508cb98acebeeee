/**
 * The machines' diagrams for the /debug page: the SVGs `npm run visualize` draws into
 * visualizations/ (kept fresh by `visualize:check`), read from disk once. `npm run build`
 * copies them to dist/visualizations/, so `../../visualizations/` from this file finds them
 * both in the source tree and in dist/.
 *
 * Graphviz's element ids for states are the xstate state ids (`engine.running.ready`): the
 * page highlights active states by those. Its other ids (`node1`, `edge3`, `a_...`) repeat
 * across diagrams and are removed, so that every id left on the page is a state's.
 */
import { readFile } from 'node:fs/promises';

/** The machines that have a diagram, in the order the page shows them. */
export const DIAGRAMS = ['engine', 'worker', 'connection', 'gate', 'job'] as const;

export type Diagram = { machine: string; svg: string | undefined };

const FOLDER = new URL('../../visualizations/', import.meta.url);

let loaded: Promise<Diagram[]> | undefined;

/** Every diagram; `svg` is undefined for one whose file is missing (the page says so). */
export function loadDiagrams(): Promise<Diagram[]> {
  loaded ??= Promise.all(
    DIAGRAMS.map(async (machine) => {
      try {
        const text = await readFile(new URL(`${machine}.svg`, FOLDER), 'utf8');
        return { machine, svg: inlineSvg(text) };
      } catch {
        return { machine, svg: undefined };
      }
    }),
  );
  return loaded;
}

/** The `<svg>` element alone, without generic ids; ready to sit inside an HTML page. */
export function inlineSvg(text: string): string {
  const start = text.indexOf('<svg');
  if (start < 0) throw new Error('not an SVG document: no <svg> element');
  return text
    .slice(start)
    .replace(/ id="(?:graph|node|edge|clust)\d+"/g, '')
    .replace(/ id="a_[^"]*"/g, '');
}
