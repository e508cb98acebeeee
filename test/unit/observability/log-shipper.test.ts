import { describe, expect, it, vi } from 'vitest';
import {
  createLogShipper,
  type LogEntry,
  type LogShipperOptions,
} from '../../../src/observability/log-shipper.ts';
import type { SinkRequest } from '../../support/http-sink.ts';
import { useTelemetryHarness } from '../../support/telemetry-harness.ts';

const TOKEN = 'tok-SECRET-logs-0123456789';
const PATH = '/logs';

const env = useTelemetryHarness(TOKEN);

function shipper(options: Partial<LogShipperOptions> = {}) {
  return createLogShipper({
    url: `${env.sink.url}${PATH}`,
    token: TOKEN,
    instanceId: 'vast-42',
    queueId: 'vllm-queue',
    flushIntervalMs: 60_000,
    logger: env.logs.logger,
    ...options,
  });
}

const entry = (n: number): LogEntry => ({
  timestamp: 1_700_000_000 + n / 1000,
  level: 'info',
  source: 'worker',
  message: `line ${n}`,
});

const range = (from: number, to: number) =>
  Array.from({ length: to - from + 1 }, (_, i) => entry(from + i));

const shippedEntries = (requests: SinkRequest[] = env.sink.requests) =>
  requests.flatMap((r) => (r.body as { entries: LogEntry[] }).entries);

describe('log shipper', () => {
  it('POSTs {instance_id, queue_id, entries} with the bearer token', async () => {
    const logShipper = shipper();
    const withContext: LogEntry = {
      timestamp: 1_700_000_000.25,
      level: 'error',
      source: 'vllm',
      message: 'CUDA out of memory',
      job_id: 'job-1',
      config_id: 'cfg-1',
    };
    logShipper.push(entry(1));
    logShipper.push(withContext);
    expect(await logShipper.flush()).toBe(true);
    expect(env.sink.requests).toHaveLength(1);
    const [request] = env.sink.requests;
    expect(request).toMatchObject({ method: 'POST', path: PATH });
    expect(request?.headers.authorization).toBe(`Bearer ${TOKEN}`);
    expect(request?.body).toEqual({
      instance_id: 'vast-42',
      queue_id: 'vllm-queue',
      entries: [entry(1), withContext],
    });
    expect(logShipper.stats()).toEqual({ buffered: 0, shipped: 2, dropped: 0 });
  });

  it('sends nothing when the buffer is empty', async () => {
    expect(await shipper().flush()).toBe(true);
    expect(env.sink.requests).toEqual([]);
  });

  it.each([
    ['no URL', { url: undefined }],
    ['no token', { token: undefined }],
  ])('is off with %s: entries are ignored and nothing is sent', async (_, settings) => {
    const logShipper = shipper(settings);
    expect(logShipper.enabled).toBe(false);
    logShipper.push(entry(1));
    logShipper.start();
    expect(await logShipper.stop()).toBe(true);
    expect(logShipper.stats()).toEqual({ buffered: 0, shipped: 0, dropped: 0 });
    expect(env.sink.requests).toEqual([]);
  });

  it('ships in batches of at most 1 000 entries, in order', async () => {
    const logShipper = shipper();
    for (const e of range(1, 2_500)) logShipper.push(e);
    await logShipper.flush();
    expect(env.sink.requests.map((r) => (r.body as { entries: unknown[] }).entries.length)).toEqual(
      [1_000, 1_000, 500],
    );
    expect(shippedEntries()).toEqual(range(1, 2_500));
  });

  it('puts a failed batch back at the front and stops the flush, saying so', async () => {
    env.sink.respond(PATH, { failTimes: 1, failStatus: 502 });
    const logShipper = shipper({ batchSize: 2 });
    for (const e of range(1, 5)) logShipper.push(e);
    expect(await logShipper.flush()).toBe(false);
    expect(env.sink.requests).toHaveLength(1);
    expect(logShipper.stats()).toEqual({ buffered: 5, shipped: 0, dropped: 0 });
    expect(env.warnings()).toEqual([
      expect.objectContaining({ url: `${env.sink.url}${PATH}`, status: 502, entries: 2 }),
    ]);
    logShipper.push(entry(6));
    expect(await logShipper.flush()).toBe(true);
    expect(shippedEntries(env.sink.requests.slice(1))).toEqual(range(1, 6));
    expect(logShipper.stats()).toEqual({ buffered: 0, shipped: 6, dropped: 0 });
  });

  it('drops a batch the endpoint refuses for good (413), counts it, and ships what comes after', async () => {
    env.sink.respond(PATH, { failTimes: 1, failStatus: 413 });
    const logShipper = shipper({ batchSize: 2 });
    for (const e of range(1, 3)) logShipper.push(e);
    expect(await logShipper.flush()).toBe(true);
    expect(env.warnings()).toEqual([expect.objectContaining({ status: 413, entries: 2 })]);
    expect(shippedEntries(env.sink.requests.slice(1))).toEqual([
      expect.objectContaining({
        level: 'warning',
        message: '2 log entries dropped (the buffer was full, or the endpoint refused them)',
      }),
      entry(3),
    ]);
    expect(logShipper.stats()).toEqual({ buffered: 0, shipped: 2, dropped: 2 });
  });

  it('counts bytes as UTF-8: text outside ASCII weighs what it will weigh on the wire', async () => {
    const wide = (n: number): LogEntry => ({ ...entry(n), message: '日'.repeat(20 * 1024) });
    const logShipper = shipper({ batchBytes: 100 * 1024 });
    for (let n = 1; n <= 4; n += 1) logShipper.push(wide(n));
    expect(await logShipper.flush()).toBe(true);
    // 60 KiB a line in UTF-8 (20 K characters): one line a POST under 100 KiB.
    const sizes = env.sink.requests.map((r) => (r.body as { entries: LogEntry[] }).entries.length);
    expect(sizes).toEqual([1, 1, 1, 1]);
  });

  it('bounds what it holds and what it posts by bytes, not only by entries', async () => {
    env.sink.respond(PATH, { failTimes: 1, failStatus: 503 });
    const big = (n: number): LogEntry => ({ ...entry(n), message: 'x'.repeat(64 * 1024) });
    const logShipper = shipper({ maxBytes: 300 * 1024, batchBytes: 150 * 1024 });
    for (let n = 1; n <= 10; n += 1) logShipper.push(big(n));
    // Four 64 KiB lines fit in 300 KiB: the six oldest are dropped.
    expect(logShipper.stats()).toEqual({ buffered: 4, shipped: 0, dropped: 6 });
    expect(await logShipper.flush()).toBe(false);
    expect(await logShipper.flush()).toBe(true);
    // 150 KiB of lines a POST: the drop notice and two lines, then the last two.
    const sizes = env.sink.requests
      .slice(1)
      .map((r) => (r.body as { entries: LogEntry[] }).entries.length);
    expect(sizes).toEqual([3, 2]);
    expect(logShipper.stats()).toEqual({ buffered: 0, shipped: 5, dropped: 6 });
  });

  it('keeps the batch when the endpoint does not answer in time', async () => {
    env.sink.respond(PATH, { hang: true });
    const logShipper = shipper({ timeoutMs: 100 });
    logShipper.push(entry(1));
    await logShipper.flush();
    expect(logShipper.stats().buffered).toBe(1);
    expect(env.warnings()).toEqual([
      expect.objectContaining({ reason: 'no answer within 100 ms', url: `${env.sink.url}${PATH}` }),
    ]);
  });

  it('drops the oldest entries when full and reports how many in the next batch', async () => {
    const logShipper = shipper({ maxEntries: 5 });
    for (const e of range(1, 8)) logShipper.push(e);
    expect(logShipper.stats()).toEqual({ buffered: 5, shipped: 0, dropped: 3 });
    await logShipper.flush();
    const [notice, ...rest] = shippedEntries();
    expect(notice).toEqual({
      timestamp: expect.any(Number),
      level: 'warning',
      source: 'worker',
      message: '3 log entries dropped (the buffer was full, or the endpoint refused them)',
    });
    expect(rest).toEqual(range(4, 8));
    expect(logShipper.stats()).toEqual({ buffered: 0, shipped: 6, dropped: 3 });
  });

  it('counts the drop notice in the batch size and reports again after a failure', async () => {
    env.sink.respond(PATH, { failTimes: 1 });
    const logShipper = shipper({ maxEntries: 3, batchSize: 3 });
    for (const e of range(1, 5)) logShipper.push(e);
    await logShipper.flush();
    expect(logShipper.stats()).toEqual({ buffered: 3, shipped: 0, dropped: 2 });
    await logShipper.flush();
    const batches = env.sink.requests
      .slice(1)
      .map((r) => (r.body as { entries: LogEntry[] }).entries);
    expect(batches.map((b) => b.map((e) => e.message))).toEqual([
      [
        '2 log entries dropped (the buffer was full, or the endpoint refused them)',
        'line 3',
        'line 4',
      ],
      ['line 5'],
    ]);
    expect(
      env.sink.requests.every((r) => (r.body as { entries: unknown[] }).entries.length <= 3),
    ).toBe(true);
  });

  it('stays bounded when a failed batch comes back to a buffer that filled meanwhile', async () => {
    env.sink.respond(PATH, { hang: true });
    const logShipper = shipper({ maxEntries: 3, timeoutMs: 200 });
    for (const e of range(1, 2)) logShipper.push(e);
    const flushed = logShipper.flush();
    await env.sink.waitFor((r) => r.path === PATH);
    for (const e of range(3, 5)) logShipper.push(e);
    await flushed;
    expect(logShipper.stats()).toEqual({ buffered: 3, shipped: 0, dropped: 2 });
    env.sink.respond(PATH, { status: 200 });
    await logShipper.flush();
    expect(shippedEntries(env.sink.requests.slice(1)).map((e) => e.message)).toEqual([
      '2 log entries dropped (the buffer was full, or the endpoint refused them)',
      'line 3',
      'line 4',
      'line 5',
    ]);
  });

  it('ships each entry once when flushes overlap', async () => {
    const logShipper = shipper({ batchSize: 10 });
    for (const e of range(1, 25)) logShipper.push(e);
    await Promise.all([logShipper.flush(), logShipper.flush(), logShipper.flush()]);
    expect(shippedEntries()).toEqual(range(1, 25));
  });

  it('flushes on its interval once started', async () => {
    const logShipper = shipper({ flushIntervalMs: 10 });
    logShipper.start();
    logShipper.push(entry(1));
    const request = await env.sink.waitFor((r) => r.path === PATH);
    expect((request.body as { entries: unknown[] }).entries).toEqual([entry(1)]);
    await logShipper.stop();
  });

  it('stops its timer and flushes what is left on stop', async () => {
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval'] });
    const logShipper = shipper({ flushIntervalMs: 1_000 });
    logShipper.start();
    logShipper.start();
    expect(vi.getTimerCount()).toBe(1);
    logShipper.push(entry(1));
    logShipper.push(entry(2));
    await logShipper.stop();
    expect(vi.getTimerCount()).toBe(0);
    expect(shippedEntries()).toEqual([entry(1), entry(2)]);
  });

  it('ends the flush at stop at its deadline against a slow endpoint, dropping and counting the rest', async () => {
    // Each batch is answered after 300 ms (inside the POST timeout): 5 batches would take 1.5 s.
    env.sink.respond(PATH, { delayMs: 300 });
    const logShipper = shipper({ batchSize: 10, stopDeadlineMs: 500 });
    for (const e of range(1, 50)) logShipper.push(e);
    expect(await logShipper.stop()).toBe(false);
    logShipper.push(entry(51));
    const { buffered, dropped } = logShipper.stats();
    expect(buffered).toBe(0);
    expect(dropped).toBeGreaterThanOrEqual(20);
    expect(env.warnings()).toEqual([
      expect.objectContaining({
        msg: expect.stringMatching(
          /^the log flush at shutdown ran out of time \(500 ms\): \d+ entries still buffered are dropped$/,
        ),
      }),
    ]);
    expect(shippedEntries()).not.toContainEqual(entry(51));
  });
});
