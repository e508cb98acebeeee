/**
 * The /debug page's HTML (issue 18): it names its icon inline, so a browser does not ask the
 * status server for /favicon.ico (a 404 in the browser's console), Recently ended shows a
 * failed job's message beside `error`, and Running jobs heads its state column `job state`.
 */
import { describe, expect, it } from 'vitest';
import { debugPage } from '../../../src/status/debug-page.ts';

describe('the /debug page', () => {
  it('declares an inline icon and shows the error message of an ended job', () => {
    const html = debugPage('w', []);
    expect(html).toContain('<link rel="icon" href="data:,">');
    expect(html).toContain("job.error ? job.outcome + ': ' + job.error : job.outcome");
  });

  it("heads the running jobs' state column as the job's state, which transient jobs have too", () => {
    const html = debugPage('w', []);
    expect(html).toContain('<th>mode</th><th>job state</th><th>fence</th>');
    expect(html).not.toContain('lease state');
  });
});
