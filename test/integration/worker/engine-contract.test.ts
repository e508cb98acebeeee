/**
 * The engine contract under `casola-worker run` (issue 16): a JSON value in VLLM_EXTRA_ARGS
 * reaches vLLM intact; a served model name other than the one requests send stops start-up;
 * an engine started with an API key gets it on every call; a revoked video job deletes its
 * vLLM-Omni job.
 */
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { eventIs } from '../../../src/tools/queue/index.ts';
import type { Json } from '../../support/json.ts';
import { postJson } from '../../support/queue-harness.ts';
import { SERVED_MODEL, SINK_PATHS, useWorkerHarness } from '../../support/worker-harness.ts';
import { MOCK_VLLM_COMMAND } from '../../support/worker-process.ts';

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

describe('casola-worker run as the omni image runs it (VLLM_SERVE_COMMAND=vllm-omni)', () => {
  let dir: string | undefined;
  afterEach(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('starts vLLM-Omni with --omni and runs the three video tasks through POST /jobs', async () => {
    // An executable named vllm-omni that is the mock: omni only when told --omni.
    dir = await mkdtemp(join(tmpdir(), 'vllm-omni-'));
    const executable = join(dir, 'vllm-omni');
    await writeFile(executable, `#!/bin/sh\nexec ${MOCK_VLLM_COMMAND} "$@"\n`);
    await chmod(executable, 0o755);
    const { queue, worker } = await harness.start({
      env: { VLLM_SERVE_COMMAND: executable, VLLM_OMNI: undefined },
    });
    const started = worker.entries().find((entry) => entry.msg === 'starting vLLM');
    expect(started?.command).toContain('--omni');
    const payloads = [
      { task: 'fal/text-to-video', prompt: 'a lighthouse' },
      { task: 'fal/image-to-video', image_url: 'https://example.com/cat.png' },
      {
        task: 'fal/speech-to-video',
        image_url: 'https://example.com/face.png',
        audio_url: 'https://example.com/speech.wav',
      },
    ];
    for (const payload of payloads) {
      const created = await postJson(`${queue.httpUrl}/jobs`, { payload });
      const id = (created.body as Json).id as string;
      await queue.events.waitFor(eventIs('outcome_accepted', (e) => e.jobId === id));
      const results = queue.events.filter(
        eventIs('frame_in', (e) => e.frame.type === 'job_result' && e.frame.job_id === id),
      );
      expect(results[0]?.frame.result).toMatchObject({ status: 'success', task: payload.task });
      const progress = queue.events.filter(
        eventIs('frame_in', (e) => e.frame.type === 'job_progress' && e.frame.job_id === id),
      );
      expect(progress.map((e) => e.frame.progress)).toEqual([0, 0.33, 0.67]);
    }
  });
});
