/**
 * The /debug page's HTML (issue 18) and its script (assets/debug-page.js): the page names its
 * icon inline, so a browser does not ask the status server for /favicon.ico (a 404 in the
 * browser's console), Recently ended shows a failed job's message beside `error`, and Running
 * jobs heads its state column `job state`. Both pages load their script from the status server.
 */
import { describe, expect, it } from 'vitest';
import { RELAY_PAGE_SCRIPT, relayPage } from '../../../src/inspect/relay-page.ts';
import { DEBUG_PAGE_SCRIPT, debugPage } from '../../../src/status/debug-page.ts';
import { readScript } from '../../../src/status/scripts.ts';

describe('the /debug page', () => {
  it('declares an inline icon and shows the error message of an ended job', async () => {
    const html = debugPage('w', []);
    expect(html).toContain('<link rel="icon" href="data:,">');
    expect(await readScript(DEBUG_PAGE_SCRIPT)).toMatch(
      /job\.error \? `\$\{job\.outcome\}: \$\{job\.error\}` : job\.outcome/,
    );
  });

  it("heads the running jobs' state column as the job's state, which transient jobs have too", () => {
    const html = debugPage('w', []);
    expect(html).toContain('<th>mode</th><th>job state</th><th>fence</th>');
    expect(html).not.toContain('lease state');
  });

  it('loads its script from the file the status server serves, as does the relay page', async () => {
    expect(debugPage('w', [])).toContain('<script type="module" src="/debug/page.js"></script>');
    expect(relayPage('w')).toContain('<script type="module" src="/inspect/page.js"></script>');
    expect(await readScript(DEBUG_PAGE_SCRIPT)).toContain("new EventSource('/debug/events')");
    expect(await readScript(RELAY_PAGE_SCRIPT)).toContain('/inspect/ws');
  });
});
