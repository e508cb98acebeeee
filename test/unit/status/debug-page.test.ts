/**
 * The /debug page's HTML (issue 18): it names its icon inline, so a browser does not ask the
 * status server for /favicon.ico (a 404 in the browser's console), and Recently ended shows a
 * failed job's message beside `error`.
 */
import { describe, expect, it } from 'vitest';
import { debugPage } from '../../../src/status/debug-page.ts';

describe('the /debug page', () => {
  it('declares an inline icon and shows the error message of an ended job', () => {
    const html = debugPage('w', []);
    expect(html).toContain('<link rel="icon" href="data:,">');
    expect(html).toContain("job.error ? job.outcome + ': ' + job.error : job.outcome");
  });
});
