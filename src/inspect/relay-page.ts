/**
 * /inspect: the page that hands the worker's inspection events to the Stately Inspector in the
 * browser. It loads the inspector (stately.ai/inspect) in an iframe and speaks the protocol of
 * @statelyai/inspect's browser inspector: it waits for the inspector's `@statelyai.connected`
 * message, then posts every event to it. The events come from the relay's WebSocket
 * (/inspect/ws). The page itself is served by the worker and needs no network; the inspector
 * in the iframe comes from stately.ai. The last events are listed on the page either way.
 */

/** Where the Stately Inspector's browser app lives. */
export const STATELY_INSPECTOR_URL = 'https://stately.ai/inspect';

/** The page's script (assets/relay-page.js), which the status server serves at `path`. */
export const RELAY_PAGE_SCRIPT = {
  path: '/inspect/page.js',
  file: new URL('./assets/relay-page.js', import.meta.url),
} as const;

export function relayPage(title: string): string {
  const name = title.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>${name}: Stately Inspector relay</title>
<style>
html, body { height: 100%; margin: 0; font: 13px/1.4 system-ui, Helvetica, Arial, sans-serif; }
body { display: grid; grid-template-columns: 1fr 360px; grid-template-rows: auto 1fr; }
header { grid-column: 1 / 3; padding: 8px 12px; background: #2d3748; color: white; }
header a { color: #bee3f8; }
iframe { width: 100%; height: 100%; border: 0; }
aside { overflow: auto; border-left: 1px solid #e2e8f0; }
aside ol { margin: 0; padding: 8px 8px 8px 32px; font-family: ui-monospace, Menlo, monospace; font-size: 11px; }
</style>
</head>
<body data-relay="connecting">
<header>casola-worker <b>${name}</b>: inspection events relayed to the Stately Inspector
  (<span id="status">waiting for the inspector from stately.ai to load</span>);
  events received: <b id="count">0</b>. <a href="/debug">status page</a></header>
<iframe id="inspector" data-src="${STATELY_INSPECTOR_URL}" title="Stately Inspector"></iframe>
<aside><ol id="events"></ol></aside>
<script type="module" src="${RELAY_PAGE_SCRIPT.path}"></script>
</body>
</html>
`;
}
