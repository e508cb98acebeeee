import { describe, expect, it } from 'vitest';
import { createHeartbeatSender } from '../../../src/observability/heartbeat.ts';
import { startHttpSink } from '../../support/http-sink.ts';
import { useTelemetryHarness } from '../../support/telemetry-harness.ts';

const TOKEN = 'tok-SECRET-heartbeat-0123456789';
const PATH = '/api/heartbeats';

const env = useTelemetryHarness(TOKEN);

function sender(options: { apiUrl?: string; timeoutMs?: number } = {}) {
  return createHeartbeatSender({
    apiUrl: options.apiUrl ?? env.sink.url,
    token: TOKEN,
    instanceId: 'runpod-abc',
    queueId: 'vllm-queue',
    logger: env.logs.logger,
    ...(options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs }),
  });
}

describe('heartbeat sender', () => {
  it('POSTs the body of worker.md with the bearer token', async () => {
    const heartbeats = sender();
    expect(heartbeats.enabled).toBe(true);
    expect(await heartbeats.send('starting')).toBe(true);
    await heartbeats.send('fatal', 'gpu_health_check failed: GPU 0: 3 uncorrected ECC errors');
    expect(env.sink.requests.map((r) => [r.method, r.path])).toEqual([
      ['POST', PATH],
      ['POST', PATH],
    ]);
    const [first, second] = env.sink.requests;
    expect(first?.headers.authorization).toBe(`Bearer ${TOKEN}`);
    expect(first?.headers['content-type']).toBe('application/json');
    expect(first?.body).toEqual({
      instance_id: 'runpod-abc',
      queue_id: 'vllm-queue',
      status: 'starting',
    });
    expect(second?.body).toEqual({
      instance_id: 'runpod-abc',
      queue_id: 'vllm-queue',
      status: 'fatal',
      error_message: 'gpu_health_check failed: GPU 0: 3 uncorrected ECC errors',
    });
    expect(env.warnings()).toEqual([]);
  });

  it('joins the path to a base URL with a trailing slash or a prefix', async () => {
    await sender({ apiUrl: `${env.sink.url}/` }).send('active');
    await sender({ apiUrl: `${env.sink.url}/platform//` }).send('active');
    expect(env.sink.requests.map((r) => r.path)).toEqual([PATH, `/platform${PATH}`]);
  });

  it.each([
    ['no URL', { apiUrl: undefined, token: TOKEN }],
    ['no token', { apiUrl: 'http://127.0.0.1:1', token: undefined }],
    ['an empty token', { apiUrl: 'http://127.0.0.1:1', token: '' }],
  ])('is off with %s, and send resolves without a request', async (_, settings) => {
    const heartbeats = createHeartbeatSender({
      ...settings,
      instanceId: 'i',
      queueId: 'q',
      logger: env.logs.logger,
    });
    expect(heartbeats.enabled).toBe(false);
    expect(await heartbeats.send('starting')).toBe(true);
    expect(env.sink.requests).toEqual([]);
  });

  it('logs a rejected heartbeat with the URL and status, and resolves false', async () => {
    env.sink.respond(PATH, { status: 503 });
    expect(await sender().send('active')).toBe(false);
    expect(env.warnings()).toEqual([
      expect.objectContaining({ url: `${env.sink.url}${PATH}`, status: 503, heartbeat: 'active' }),
    ]);
  });

  it('gives up after its timeout when the API never answers', async () => {
    env.sink.respond(PATH, { hang: true });
    expect(await sender({ timeoutMs: 100 }).send('active')).toBe(false);
    expect(env.warnings()).toEqual([
      expect.objectContaining({ url: `${env.sink.url}${PATH}`, reason: 'no answer within 100 ms' }),
    ]);
  });

  it('logs an unreachable API and resolves', async () => {
    const closed = await startHttpSink();
    await closed.close();
    await sender({ apiUrl: closed.url }).send('stopping');
    expect(env.warnings()).toEqual([
      expect.objectContaining({ url: `${closed.url}${PATH}`, reason: expect.any(String) }),
    ]);
  });

  it('keeps one request in flight and only the newest pending heartbeat', async () => {
    env.sink.respond(PATH, { hang: true });
    const heartbeats = sender({ timeoutMs: 200 });
    const order: string[] = [];
    const track = (name: string, sent: Promise<boolean>) =>
      sent.then((delivered) =>
        order.push(`${name} resolved ${delivered} after ${env.sink.requests.length} requests`),
      );
    const starting = track('starting', heartbeats.send('starting'));
    await env.sink.waitFor((r) => (r.body as { status: string }).status === 'starting');
    env.sink.respond(PATH, { status: 200 });
    const replaced = [
      track('active', heartbeats.send('active')),
      track('error', heartbeats.send('error', 'boom')),
    ];
    const stopping = track('stopping', heartbeats.send('stopping'));
    await Promise.all([starting, ...replaced, stopping]);
    expect(env.sink.requests.map((r) => r.body)).toEqual([
      { instance_id: 'runpod-abc', queue_id: 'vllm-queue', status: 'starting' },
      { instance_id: 'runpod-abc', queue_id: 'vllm-queue', status: 'stopping' },
    ]);
    expect(order).toEqual([
      'starting resolved false after 1 requests',
      'active resolved true after 2 requests',
      'error resolved true after 2 requests',
      'stopping resolved true after 2 requests',
    ]);
  });

  it('sends again once the one in flight is done', async () => {
    const heartbeats = sender();
    await heartbeats.send('starting');
    await heartbeats.send('active');
    await heartbeats.send('active');
    expect(env.sink.requestsTo(PATH)).toHaveLength(3);
  });
});
