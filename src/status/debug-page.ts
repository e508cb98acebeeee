/**
 * /debug: one self-contained HTML page (no CDN, works offline) that draws every machine and
 * highlights each actor's live state, with the running jobs and their job state and the
 * jobs that ended last. The diagrams are the SVGs of visualizations/, inlined; the script
 * (assets/debug-page.js, served beside the page) keeps everything current from /debug/events.
 */
import type { Diagram } from './diagrams.ts';
import type { PageScript } from './scripts.ts';

export const DEBUG_PAGE_SCRIPT: PageScript = {
  path: '/debug/page.js',
  file: new URL('./assets/debug-page.js', import.meta.url),
};

const STYLE = `
* { box-sizing: border-box; }
body { margin: 0; font: 14px/1.4 system-ui, -apple-system, 'Segoe UI', Helvetica, Arial, sans-serif; color: #1a202c; background: #f7fafc; }
header { display: flex; flex-wrap: wrap; gap: 12px; align-items: center; padding: 12px 20px; background: #2d3748; color: white; }
header h1 { font-size: 18px; margin: 0 8px 0 0; }
header a { color: #bee3f8; margin-left: auto; }
main { padding: 16px 20px; }
.badge { padding: 2px 10px; border-radius: 999px; font-weight: 600; font-size: 12px; }
.badge.ok { background: #c6f6d5; color: #22543d; }
.badge.bad { background: #fed7d7; color: #822727; }
#reasons { color: #fed7d7; font-size: 13px; }
#updated { color: #a0aec0; font-size: 12px; }
section { background: white; border: 1px solid #e2e8f0; border-radius: 8px; padding: 12px 16px; margin-bottom: 16px; }
h2 { font-size: 15px; margin: 0 0 8px; }
table { border-collapse: collapse; width: 100%; font-size: 13px; }
th, td { text-align: left; padding: 4px 8px; border-bottom: 1px solid #edf2f7; vertical-align: top; }
th { color: #718096; font-weight: 600; }
td.name { font-family: ui-monospace, Menlo, monospace; }
td.state { font-family: ui-monospace, Menlo, monospace; font-weight: 600; color: #975a16; }
td.context { font-family: ui-monospace, Menlo, monospace; color: #4a5568; font-size: 12px; }
td.outcome.result { color: #22543d; } td.outcome.error { color: #822727; }
.empty { color: #a0aec0; margin: 4px 8px; }
.grid { display: grid; grid-template-columns: repeat(auto-fill, minmax(560px, 1fr)); gap: 16px; }
figure.diagram[data-machine="engine"] { grid-column: 1 / -1; }
figure.diagram { margin: 0; background: white; border: 1px solid #e2e8f0; border-radius: 8px; padding: 8px; }
figure.diagram figcaption { margin-bottom: 6px; }
figure.diagram figcaption span { font-family: ui-monospace, Menlo, monospace; color: #975a16; margin-left: 8px; }
figure.diagram svg { width: 100%; height: auto; }
.diagram g.node.active path, .diagram g.node.active polygon, .diagram g.node.active ellipse { fill: #fefcbf; stroke: #d69e2e; stroke-width: 3px; }
.diagram g.cluster.active path { stroke: #d69e2e; stroke-width: 2.5px; }
.missing { color: #a0aec0; }
`;

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function figure({ machine, svg }: Diagram): string {
  const name = escapeHtml(machine);
  const body = svg ?? `<p class="missing">no diagram: visualizations/${name}.svg was not found</p>`;
  return `<figure class="diagram" data-machine="${name}"><figcaption><b>${name}</b><span data-caption="${name}"></span></figcaption>${body}</figure>`;
}

/** The page for a worker; `title` names it (its worker id). */
export function debugPage(title: string, diagrams: readonly Diagram[]): string {
  const name = escapeHtml(title);
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${name}: casola-worker status</title>
<link rel="icon" href="data:,">
<style>${STYLE}</style>
</head>
<body>
<header>
  <h1>casola-worker <span class="name">${name}</span></h1>
  <span id="readiness" class="badge bad">…</span>
  <span id="reasons"></span>
  <span id="live" class="badge bad">connecting</span>
  <span id="updated"></span>
  <a href="/inspect">Stately Inspector relay</a>
</header>
<main>
  <section>
    <h2>Actors</h2>
    <table id="actors"><thead><tr><th>actor</th><th>state</th><th>key context</th></tr></thead><tbody></tbody></table>
  </section>
  <section>
    <h2>Running jobs</h2>
    <table id="jobs"><thead><tr><th>job</th><th>task</th><th>mode</th><th>job state</th><th>fence</th><th>renewals</th><th>running for</th></tr></thead><tbody></tbody></table>
    <p id="jobs-empty" class="empty">none</p>
    <h2>Recently ended</h2>
    <table id="recent"><thead><tr><th>job</th><th>task</th><th>mode</th><th>final state</th><th>outcome</th><th>took</th></tr></thead><tbody></tbody></table>
    <p id="recent-empty" class="empty">none yet</p>
  </section>
  <div class="grid">
${diagrams.map(figure).join('\n')}
  </div>
</main>
<script type="module" src="${DEBUG_PAGE_SCRIPT.path}"></script>
</body>
</html>
`;
}
