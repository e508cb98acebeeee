/**
 * Issue 18, item 8: a `wss://` URL to a queue that speaks plain `ws://` is explained in one
 * warning that names the fix, instead of OpenSSL's raw "wrong version number" line.
 */
import { describe, expect, it } from 'vitest';
import { captureLogs } from '../../support/log-capture.ts';
import { useQueueHarness } from '../../support/queue-harness.ts';
import { until, useSdkWorkers } from '../../support/sdk-worker.ts';

const queues = useQueueHarness();
const workers = useSdkWorkers();

describe('SDK connection over wss:// to a plain port', () => {
  it('says the queue did not answer TLS and to check the scheme', async () => {
    const queue = await queues.start();
    const logs = captureLogs();
    await workers.start(
      queue,
      {
        wsUrl: queue.wsUrl.replace(/^ws:/, 'wss:'),
        logger: logs.logger,
        timings: { reconnectDelayMs: () => 5 },
      },
      { waitConnected: false },
    );
    await until(
      () => logs.lines().some((line) => line.includes('did not answer TLS')),
      5_000,
      'the TLS mismatch to be explained',
    );
    const warning = logs.entries().find((entry) => String(entry.msg).includes('TLS'));
    expect(warning).toMatchObject({
      level: 40,
      msg: 'the queue did not answer TLS on this port (a wss:// URL to a plain ws:// server?): check the scheme and port of CASOLA_WS_URL',
    });
    expect(logs.lines().join('\n')).not.toMatch(/queue socket error: .*SSL routines/);
  });
});
