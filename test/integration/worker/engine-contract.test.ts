/**
 * The engine contract under `casola-worker run` (issue 16): a JSON value in VLLM_EXTRA_ARGS
 * reaches vLLM intact; a served model name other than the one requests send stops start-up;
 * an engine started with an API key gets it on every call; a revoked video job deletes its
 * vLLM-Omni job.
 */
import { describe, expect, it } from 'vitest';
import { eventIs } from '../../../src/queue/index.ts';
import type { Json } from '../../support/json.ts';
import { postJson } from '../../support/queue-harness.ts';
import { SERVED_MODEL, SINK_PATHS, useWorkerHarness } from '../../support/worker-harness.ts';

const harness = useWorkerHarness();

/** The vLLM lines the worker logged (source vllm), as text. */
const vllmLines = (lines: readonly string[]) =>
  lines
    .map((line) => JSON.parse(line) as Json)
    .filter((e) => e.source === 'vllm')
    .map((e) => e.msg as string);

describe('casola-worker run: the engine contract', () => {
  it('passes a JSON value in VLLM_EXTRA_ARGS to vLLM with its quotes', async () => {
    const { worker } = await harness.start({
      env: { VLLM_EXTRA_ARGS: '--override-generation-config {"temperature":0.5}' },
    });
    // The mock lists the arguments it does not know, as it received them.
    expect(vllmLines(worker.stdout)).toContainEqual(
      expect.stringContaining(
        'mock-vllm ignores: --override-generation-config {"temperature":0.5}',
      ),
    );
  });

  it('stops start-up with exit 1 and one message when vLLM serves another model name', async () => {
    const { sink, worker } = await harness.start({
      env: { VLLM_EXTRA_ARGS: '--served-model-name other' },
      waitRegistered: false,
    });
    expect(await worker.exitCode).toBe(1);
    const last = sink.requestsTo(SINK_PATHS.heartbeats).at(-1)?.body as Json;
    expect(last.status).toBe('failed');
    expect(last.error_message).toContain(
      `vLLM serves 'other', not '${SERVED_MODEL}' (VLLM_SERVED_MODEL_NAME)`,
    );
  });

  it('sends the key vLLM was started with, and never logs it', async () => {
    const key = 'vllm-key-SECRET-7781';
    const { queue, worker } = await harness.start({
      env: { VLLM_EXTRA_ARGS: `--api-key ${key}` },
    });
    const answer = await postJson(`${queue.httpUrl}/v1/chat/completions`, {
      model: 'cfg-e2e',
      messages: [{ role: 'user', content: 'with a key' }],
    });
    expect(answer.status).toBe(200);
    expect(worker.stdout.join('\n')).not.toContain(key);
  });

  it('deletes the vLLM-Omni job of a revoked video job', async () => {
    const { queue, worker } = await harness.start({ mockArgs: ['--response-delay-ms', '60000'] });
    const created = await postJson(`${queue.httpUrl}/jobs`, {
      payload: { task: 'fal/text-to-video', prompt: 'never finished' },
    });
    const id = (created.body as Json).id as string;
    await queue.events.waitFor(
      eventIs(
        'frame_in',
        (e) =>
          e.frame.type === 'job_progress' && e.frame.job_id === id && (e.frame.progress ?? 0) > 0,
      ),
    );
    queue.faults.revokeJob(id, { reason: 'test', redispatch: false });
    const deleted = await worker.waitForLine(/\\"DELETE \/v1\/videos\/video_gen_\w+ HTTP/);
    expect(JSON.parse(deleted)).toMatchObject({ source: 'vllm' });
    expect(vllmLines(worker.stdout).some((line) => line.includes('/content'))).toBe(false);
  });
});
