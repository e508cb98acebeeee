/**
 * What the platform receives from `casola-worker run`: heartbeats, log batches and metrics
 * snapshots with exactly worker.md's bodies and the bearer header, heartbeat statuses in
 * order; and the environment dump at start, sorted and masked.
 */
import { describe, expect, it } from 'vitest';
import { eventIs } from '../../../src/tools/queue/index.ts';
import type { SinkRequest } from '../../support/http-sink.ts';
import type { Json } from '../../support/json.ts';
import { postJson } from '../../support/queue-harness.ts';
import {
  API_TOKEN,
  CONFIG_ID,
  INSTANCE_ID,
  QUEUE_ID,
  SINK_PATHS,
  useWorkerHarness,
} from '../../support/worker-harness.ts';

const harness = useWorkerHarness();

const identity = { instance_id: INSTANCE_ID, queue_id: QUEUE_ID };
const bodies = (requests: SinkRequest[]) => requests.map((request) => request.body as Json);

describe('casola-worker run: heartbeats, logs and metrics', () => {
  it('sends them with the exact bodies of worker.md and the bearer header', async () => {
    const { queue, sink, worker } = await harness.start();
    // The next log batch fails: its entries must go out again, once, with a later batch.
    sink.respond(SINK_PATHS.logs, { failTimes: 1, failStatus: 503 });
    const failedBatch = sink.requestsTo(SINK_PATHS.logs).length;
    const isActive = (r: SinkRequest) => (r.body as Json)?.status === 'active';
    // One connection and two `active` heartbeats: one on connect, then one on the interval.
    await sink.waitFor(() => sink.requestsTo(SINK_PATHS.heartbeats).filter(isActive).length >= 2);
    const chat = await postJson(`${queue.httpUrl}/v1/chat/completions`, {
      model: CONFIG_ID,
      messages: [{ role: 'user', content: 'log me' }],
    });
    expect(chat.status).toBe(200);
    const jobId = queue.events.filter(eventIs('job_created'))[0]!.jobId;
    worker.signal('SIGTERM');
    expect(await worker.exitCode).toBe(0);
    expect(queue.events.filter(eventIs('worker_registered'))).toHaveLength(1);

    for (const request of sink.requests) {
      expect(request.method).toBe('POST');
      expect(request.headers.authorization).toBe(`Bearer ${API_TOKEN}`);
      expect(request.headers['content-type']).toMatch(/^application\/json/);
    }

    const heartbeats = bodies(sink.requestsTo(SINK_PATHS.heartbeats));
    for (const body of heartbeats)
      expect(Object.keys(body).sort()).toEqual(['instance_id', 'queue_id', 'status']);
    expect(heartbeats[0]).toEqual({ ...identity, status: 'starting' });
    expect(heartbeats.at(-1)).toEqual({ ...identity, status: 'stopping' });
    expect(heartbeats.map((body) => body.status).join(' ')).toMatch(
      /^starting( active){2,} stopping$/,
    );

    const batches = bodies(sink.requestsTo(SINK_PATHS.logs));
    for (const batch of batches) {
      expect(Object.keys(batch).sort()).toEqual(['entries', 'instance_id', 'queue_id']);
      expect(batch).toMatchObject(identity);
    }
    const failed = batches.splice(failedBatch, 1)[0];
    const entries = batches.flatMap((batch) => batch.entries);
    const shipped = entries.map((entry: Json) => JSON.stringify(entry));
    expect(failed.entries.length).toBeGreaterThan(0);
    for (const entry of failed.entries) {
      expect(shipped.filter((line) => line === JSON.stringify(entry))).toHaveLength(1);
    }
    for (const entry of entries) {
      expect(
        Object.keys(entry).every((key) =>
          ['timestamp', 'level', 'source', 'message', 'job_id', 'config_id'].includes(key),
        ),
      ).toBe(true);
      expect(entry).toMatchObject({
        timestamp: expect.any(Number),
        level: expect.stringMatching(/^(error|warning|info|debug)$/),
        source: expect.stringMatching(/^(worker|vllm)$/),
        message: expect.any(String),
      });
      expect(Math.abs(entry.timestamp - Date.now() / 1000)).toBeLessThan(600);
    }
    expect(entries).toContainEqual({
      timestamp: expect.any(Number),
      level: 'warning',
      source: 'worker',
      message: 'nvidia-smi is not installed: GPU health check skipped',
    });
    expect(entries).toContainEqual(
      expect.objectContaining({
        source: 'vllm',
        message: expect.stringMatching(/Uvicorn running/),
      }),
    );
    expect(entries).toContainEqual(
      expect.objectContaining({ source: 'worker', job_id: jobId, config_id: CONFIG_ID }),
    );
    expect(entries).toContainEqual(
      expect.objectContaining({ message: 'received SIGTERM: shutting down' }),
    );

    const reports = bodies(sink.requestsTo(SINK_PATHS.metrics));
    expect(reports).toHaveLength(1);
    expect(reports[0]).toEqual({
      ...identity,
      config_id: CONFIG_ID,
      snapshots: [
        {
          timestamp: expect.any(Number),
          worker_uptime_s: expect.any(Number),
          vllm_running_requests: 0,
          vllm_waiting_requests: 0,
          current_job_ids: [],
        },
      ],
    });
  });

  it('logs the environment at start, sorted by name, secrets masked to their last 4 characters', async () => {
    const { worker, env } = await harness.start({
      env: { HF_TOKEN: 'hf_abcdefghijklmnopq', DB_PASSWORD: 'short', ZZ_PLAIN: 'visible-value' },
      waitRegistered: false,
    });
    const lines = JSON.parse(await worker.waitForLine(/"msg":"environment"/))
      .environment as string[];
    const names = lines.map((line) => line.slice(0, line.indexOf('=')));
    expect(names).toEqual(Object.keys(env).sort());
    expect(lines).toContain('CASOLA_API_TOKEN=****4242');
    expect(lines).toContain('HF_TOKEN=****nopq');
    expect(lines).toContain('DB_PASSWORD=****');
    expect(lines).toContain('ZZ_PLAIN=visible-value');
    expect(lines).toContain(`CASOLA_WS_URL=${env.CASOLA_WS_URL}`);
    expect(lines).toContain(`VLLM_EXTRA_ARGS=${env.VLLM_EXTRA_ARGS}`);
  });
});
