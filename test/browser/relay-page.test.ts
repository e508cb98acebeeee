/**
 * /inspect in Chromium during a real run: the relay page gets the worker's inspection events
 * over its WebSocket and hands them to the Stately Inspector in its iframe. stately.ai cannot
 * be reached from tests, so the iframe's URL is answered with a stand-in that speaks the
 * inspector's side of the protocol (@statelyai/inspect's createBrowserReceiver): it posts
 * `@statelyai.connected` to its parent and keeps every Stately inspection event it is sent.
 */
import { describe, expect, it } from 'vitest';
import { jobActorId } from '../../machines/job-actors.ts';
import { STATELY_INSPECTOR_URL } from '../../src/inspect/relay-page.ts';
import { eventIs } from '../../src/tools/queue/index.ts';
import { useBrowser } from '../support/browser.ts';
import { useVllmWorkers } from '../support/vllm-worker.ts';

const browser = useBrowser();
const workers = useVllmWorkers();

const STAND_IN_INSPECTOR = `<!DOCTYPE html><html><body><script>
  window.received = [];
  window.addEventListener('message', (message) => {
    if (message.data && typeof message.data._version === 'string') window.received.push(message.data);
  });
  window.parent.postMessage({ type: '@statelyai.connected' }, '*');
</script></body></html>`;

type Received = { type: string; name?: string; event?: { type: string }; sessionId: string };

describe('/inspect', () => {
  it('relays the inspection events of a run to the Stately Inspector in the page', async () => {
    const { queue, worker } = await workers.start({ CASOLA_STATUS_PORT: '0' });
    const url = await worker.statusUrl;
    await queue.events.waitFor(eventIs('worker_registered'), { timeoutMs: 20_000 });
    const page = await browser.page();
    await page.route(`${STATELY_INSPECTOR_URL}**`, (route) =>
      route.fulfill({ contentType: 'text/html', body: STAND_IN_INSPECTOR }),
    );
    await page.goto(`${url}/inspect`);
    await page.locator('body[data-relay="open"]').waitFor();
    await page.locator('#status', { hasText: 'Stately Inspector connected' }).waitFor();

    const job = queue.createJob({ payload: { task: 'openai/embeddings', input: 'relay me' } });
    expect((await job.outcome).status).toBe('completed');
    const inspector = page.frame({
      url: (frameUrl) => frameUrl.href.startsWith(STATELY_INSPECTOR_URL),
    });
    if (inspector === null) throw new Error('the inspector frame is missing');
    await inspector.waitForFunction(
      "window.received.some((e) => e.type === '@xstate.event' && e.event.type === 'JOB_ENDED')",
    );
    const received = (await inspector.evaluate('window.received')) as Received[];

    const registered = received.filter((e) => e.type === '@xstate.actor').map((e) => e.name);
    expect(registered.slice(0, 1)).toEqual(['worker']);
    expect(registered).toEqual(
      expect.arrayContaining(['worker', 'engine', 'connection', 'gate', jobActorId(job.jobId)]),
    );
    expect(received.map((e) => e.type)).toContain('@xstate.snapshot');
    expect(received.filter((e) => e.type === '@xstate.event').map((e) => e.event?.type)).toEqual(
      expect.arrayContaining(['JOB_OFFERED', 'JOB_ENDED']),
    );
    const shown = Number(await page.locator('#count').textContent());
    expect(shown).toBeGreaterThanOrEqual(received.length);
    expect(await page.locator('#events li[data-type="@xstate.actor"]').count()).toBeGreaterThan(0);
  });
});
