/**
 * /debug in Chromium during a real run (the vLLM worker on the mock vLLM, the local queue):
 * the page watches the engine reach `ready` and a persisted job's lease appear, work and
 * settle, with the active states highlighted in the diagrams, and loads nothing from outside.
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { eventIs } from '../../src/tools/queue/index.ts';
import { ARTIFACTS, useBrowser } from '../support/browser.ts';
import { useVllmWorkers } from '../support/vllm-worker.ts';

const browser = useBrowser();
const workers = useVllmWorkers();

/** Browser-side: records in `window.seen` every state the page shows for the engine. */
const RECORD_ENGINE_STATES = `
  window.seen = [];
  const record = () => {
    const row = document.querySelector('tr[data-actor="engine"]');
    const state = row && row.dataset.state;
    if (state && window.seen.at(-1) !== state) window.seen.push(state);
  };
  record();
  new MutationObserver(record).observe(document.body, { subtree: true, childList: true });
`;

describe('/debug', () => {
  it('shows the engine reach ready and a job lease appear and settle, live', async () => {
    const { queue, worker } = await workers.start({
      CASOLA_STATUS_PORT: '0',
      VLLM_EXTRA_ARGS: '--startup-delay-ms 1500 --response-delay-ms 1500',
    });
    const url = await worker.statusUrl;
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const page = await browser.page();
    const requested: string[] = [];
    page.on('request', (request) => requested.push(request.url()));
    await page.goto(`${url}/debug`);
    await page.evaluate(RECORD_ENGINE_STATES);

    await page.locator('tr[data-actor="engine"][data-state="running.ready"]').waitFor();
    const engineStates = (await page.evaluate('window.seen')) as string[];
    expect(engineStates[0]).not.toBe('running.ready');
    expect(engineStates.at(-1)).toBe('running.ready');
    expect(await page.locator('[id="engine.running.ready"]').getAttribute('class')).toContain(
      'active',
    );
    expect(
      await page.locator('[id="engine.running.starting"]').getAttribute('class'),
    ).not.toContain('active');

    await queue.events.waitFor(eventIs('worker_registered'), { timeoutMs: 20_000 });
    await page.locator('#readiness', { hasText: /^ready$/ }).waitFor();
    const job = queue.createJob({
      payload: { task: 'openai/chat-completion', messages: [{ role: 'user', content: 'hi' }] },
    });
    const running = page.locator(`#jobs tr[data-job="${job.jobId}"]`);
    await running.and(page.locator('[data-state="running.working"]')).waitFor();
    expect(await running.locator('td').nth(1).textContent()).toBe('openai/chat-completion');
    expect(await page.locator('[id="job.running.working"]').getAttribute('class')).toContain(
      'active',
    );
    await page.screenshot({ path: join(ARTIFACTS, 'debug-page.png'), fullPage: true });

    const ended = page.locator(`#recent tr[data-job="${job.jobId}"]`);
    await ended.and(page.locator('[data-state="result"][data-outcome="result"]')).waitFor();
    await running.waitFor({ state: 'detached' });
    expect((await job.outcome).status).toBe('completed');
    expect(await page.locator('[id="job.running.working"]').getAttribute('class')).not.toContain(
      'active',
    );

    worker.shutdown('test');
    await worker.done;
    await page.locator('#live', { hasText: 'disconnected' }).waitFor();
    expect(await page.locator('tr[data-actor="worker"]').getAttribute('data-state')).toBe('exited');
    expect(requested.every((address) => address.startsWith(`${url}/`))).toBe(true);
  });
});
