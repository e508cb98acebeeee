import { describe, expect, it } from 'vitest';
import { toDot } from '../../../../src/tools/visualize/dot.ts';
import { renderReadable, renderSvg } from '../../../../src/tools/visualize/render.ts';
import { tinyGraph } from '../../../support/visualize.ts';

describe('toDot', () => {
  const dot = toDot(tinyGraph(), 'LR');
  const line = (start: string) =>
    dot
      .split('\n')
      .map((l) => l.trim())
      .find((l) => l.startsWith(start)) ?? '';

  it('draws compound states as clusters, parallel ones dashed, each with an initial dot', () => {
    expect(dot).toContain('rankdir=LR');
    expect(dot).toContain('subgraph "cluster_tiny" {');
    expect(line('graph [id="tiny.busy"')).toContain('style="rounded,filled"');
    expect(line('graph [id="tiny.both"')).toContain('style="rounded,filled,dashed"');
    expect(dot).toContain('"tiny.busy/initial" -> "tiny.busy.fetching"');
    expect(line('"tiny.both/initial" [')).toContain('style=invis');
  });

  it('gives final states a double border and states their comment as tooltip and id', () => {
    expect(line('"tiny.done" [')).toContain('peripheries=2');
    expect(line('"tiny.idle" [')).not.toContain('peripheries');
    expect(line('"tiny.busy.fetching" [')).toContain(
      'id="tiny.busy.fetching", tooltip="The fetcher runs."',
    );
    expect(line('"tiny.busy.fetching" [')).toContain('invoke fetcher');
  });

  it('styles and labels arrows by what fires them', () => {
    expect(line('"tiny.idle" -> "tiny.failed"')).toContain('label="after 500ms", style=dashed');
    expect(line('"tiny.busy.checking" -> "tiny.busy.finished"')).toContain(
      'label="always\\n[isReady && !isLate]", style=dotted',
    );
    expect(line('"tiny.busy.fetching" -> "tiny.failed"')).toContain('color="#c53030"');
    expect(line('"tiny.idle" -> "tiny.busy/initial" [label="GO')).toContain(
      'label="GO\\n[isReady]", lhead="cluster_tiny.busy"',
    );
    expect(line('"tiny.busy/initial" -> "tiny.done"')).toContain('ltail="cluster_tiny.busy"');
  });

  it("draws a compound state's own transitions from its any-state box", () => {
    expect(line('"tiny/any" [')).toContain('PING');
    expect(line('"tiny/any" -> "tiny.done"')).toBe('"tiny/any" -> "tiny.done" [label="STOP"]');
    expect(line('"tiny.busy.checking" [')).toContain('PING (ignored)');
  });
});

describe('rendering', () => {
  it('renders offline to an SVG with the ids and tooltips of the states', async () => {
    const svg = await renderSvg(toDot(tinyGraph(), 'TB'));
    expect(svg).toMatch(/^<\?xml/);
    expect(svg).toContain('<g id="tiny.busy.fetching" class="node">');
    expect(svg).toContain('xlink:title="The fetcher runs."');
    expect(svg).toContain('font-family="Helvetica,sans-Serif"');
    expect(svg).not.toMatch(/@import|url\(|https?:\/\/(?!www\.w3\.org)/);
  });

  it('rejects DOT that Graphviz only draws with a warning', async () => {
    await expect(renderSvg('digraph { a [shape=nonsense] }')).rejects.toThrow(
      /Graphviz could not draw the generated DOT cleanly/,
    );
  });

  it('picks one direction and draws the same SVG every time', async () => {
    const first = await renderReadable(tinyGraph());
    const second = await renderReadable(tinyGraph());
    expect(['LR', 'TB']).toContain(first.direction);
    expect(first.dot).toContain(`rankdir=${first.direction}`);
    expect(second.svg).toBe(first.svg);
  });
});
