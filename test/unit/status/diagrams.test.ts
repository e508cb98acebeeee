/**
 * The /debug page's diagrams: every state of every machine can be highlighted (its id is an
 * element id of the inlined SVG), Graphviz's own ids are gone, and the page loads nothing
 * from elsewhere.
 */
import { describe, expect, it } from 'vitest';
import { debugPage } from '../../../src/status/debug-page.ts';
import { DIAGRAMS, inlineSvg, loadDiagrams } from '../../../src/status/diagrams.ts';
import { machineGraph } from '../../../src/tools/visualize/graph.ts';
import { MACHINES } from '../../../src/tools/visualize/machines.ts';

describe('diagrams', () => {
  it('has an element for every state of every machine, and no other ids', async () => {
    const diagrams = await loadDiagrams();
    expect(diagrams.map((d) => d.machine)).toEqual([...DIAGRAMS]);
    for (const { name, machine } of MACHINES) {
      const svg = diagrams.find((d) => d.machine === name)?.svg;
      expect(svg, name).toBeDefined();
      const ids = [...svg!.matchAll(/ id="([^"]*)"/g)].map((m) => m[1]);
      const states = machineGraph(machine).states.map((s) => s.id);
      expect(new Set(ids)).toEqual(new Set(states));
    }
  });

  it('keeps the <svg> element alone', () => {
    const text =
      '<?xml version="1.0"?>\n<!DOCTYPE svg>\n<!-- c -->\n<svg viewBox="0 0 1 1"><g id="graph0"><g id="m.a" class="node"><g id="a_m.a"/></g></g></svg>\n';
    expect(inlineSvg(text)).toBe(
      '<svg viewBox="0 0 1 1"><g><g id="m.a" class="node"><g/></g></g></svg>\n',
    );
  });

  it('builds a page that refers to nothing outside the worker', async () => {
    const page = debugPage('w<1>', await loadDiagrams());
    const references = [...page.matchAll(/(?:src|href)="([^"]*)"/g)].map((m) => m[1]);
    // The icon is inline (data:), so that a browser asks the worker for no /favicon.ico.
    // The script is the worker's own (/debug/page.js), not a CDN's.
    expect(references).toEqual(['data:,', '/inspect', '/debug/page.js']);
    expect(page).toContain('<title>w&#60;1&#62;: casola-worker status</title>');
  });
});
