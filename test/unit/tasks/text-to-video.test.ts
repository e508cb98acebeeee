import { createServer } from 'node:net';
import { setImmediate } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { callEngine, engineAgent } from '../../../src/http/engine-agent.ts';
import { runTask } from '../../../src/tasks/index.ts';
import {
  DEFAULT_VIDEO_FORM,
  requestsReceived,
  startTestMockVllm,
  type TestMockVllm,
  taskContext,
} from '../../support/mock-vllm.ts';

let mock: TestMockVllm;
afterEach(() => mock?.close());

const TASK = 'fal/text-to-video';

/** `METHOD path` of every request the mock received. */
const routes = () => mock.received.map((request) => `${request.method} ${request.path}`);

describe('fal/text-to-video', () => {
  it('creates a vLLM-Omni video job with the defaults, polls it, fetches the MP4 and deletes the job', async () => {
    mock = await startTestMockVllm({ omni: true });
    const progress: Array<[number | undefined, string | undefined]> = [];
    const context = {
      ...mock.context(),
      progress: (value?: number, message?: string) => progress.push([value, message]),
    };
    const result = await runTask({ task: TASK, prompt: 'a red fox' }, context);
    expect(mock.received[0]?.fields).toEqual({
      ...DEFAULT_VIDEO_FORM,
      prompt: 'a red fox',
    });
    const id = (mock.received[1]?.path ?? '').split('/')[3];
    expect(routes()).toEqual([
      'POST /v1/videos',
      `GET /v1/videos/${id}`,
      `GET /v1/videos/${id}`,
      `GET /v1/videos/${id}`,
      `GET /v1/videos/${id}/content`,
      `DELETE /v1/videos/${id}`,
    ]);
    expect(progress).toEqual([
      [0, 'vLLM-Omni video queued, 0%'],
      [0.33, 'vLLM-Omni video in_progress, 33%'],
      [0.67, 'vLLM-Omni video in_progress, 67%'],
    ]);
    expect(result).toEqual({
      status: 'success',
      config_id: 'cfg-test',
      task: TASK,
      processed_at: expect.any(String),
      video_b64: expect.any(String),
      width: 1280,
      height: 720,
      num_frames: 81,
      fps: 16,
      duration_seconds: 81 / 16,
      inference_time_seconds: 0.5,
      seed_used: null,
    });
    expect(Buffer.from(result.video_b64 as string, 'base64').toString('ascii', 4, 8)).toBe('ftyp');
  });

  it('sends the options given, negative prompt and seed included, and reports the seed', async () => {
    mock = await startTestMockVllm({ omni: true });
    const options = {
      width: 640,
      height: 360,
      num_frames: 33,
      num_inference_steps: 20,
      guidance_scale: 5.5,
      fps: 8,
    };
    const payload = { task: TASK, prompt: 'p', negative_prompt: 'blur', seed: 11, ...options };
    const result = await runTask(payload, mock.context());
    expect(mock.received[0]?.fields).toMatchObject({
      negative_prompt: 'blur',
      seed: '11',
      width: '640',
      fps: '8',
    });
    expect(result).toMatchObject({
      width: 640,
      height: 360,
      num_frames: 33,
      fps: 8,
      duration_seconds: 33 / 8,
      seed_used: 11,
    });
  });

  it('deletes the engine job when the job is revoked', async () => {
    mock = await startTestMockVllm({ omni: true, responseDelayMs: 60_000 });
    const revoke = new AbortController();
    const context = {
      ...mock.context(revoke.signal),
      progress: (value?: number) => {
        if (value !== undefined && value > 0.5) revoke.abort();
      },
    };
    await expect(runTask({ task: TASK, prompt: 'p' }, context)).rejects.toMatchObject({
      reason: 'aborted',
    });
    expect(routes().at(-1)).toMatch(/^DELETE \/v1\/videos\/video_gen_/);
    expect(routes()).not.toContain(expect.stringMatching(/\/content$/));
  });

  it('deletes the engine job whose id comes back after the job was revoked during its creation', async () => {
    mock = await startTestMockVllm({ omni: true });
    const revoke = new AbortController();
    mock.events.on('request', (request) => {
      if (request.method === 'POST' && request.path === '/v1/videos') revoke.abort();
    });
    await expect(
      runTask({ task: TASK, prompt: 'p' }, mock.context(revoke.signal)),
    ).rejects.toMatchObject({ reason: 'aborted' });
    await requestsReceived(mock, 2);
    expect(routes()).toEqual([
      'POST /v1/videos',
      expect.stringMatching(/^DELETE \/v1\/videos\/video_gen_/),
    ]);
  });

  it('never sends the creation of a video twice, even on a pooled socket closed unanswered', async () => {
    // Answers the first request on a connection, then closes it once the next one (the
    // multipart POST, ending in its closing boundary) has arrived whole, without a byte.
    const requests: string[] = [];
    const server = createServer((socket) => {
      let received = '';
      socket.on('data', (chunk) => {
        received += chunk.toString('latin1');
        if (!received.endsWith('\r\n\r\n') && !received.endsWith('--\r\n')) return;
        requests.push(received.slice(0, received.indexOf(' HTTP/')));
        received = '';
        if (requests.length > 1) return void socket.destroy();
        socket.write('HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n');
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const baseUrl = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
    const never = new AbortController().signal;
    try {
      await callEngine(
        { baseUrl },
        { method: 'GET', path: '/health', timeoutMs: 5_000, signal: never },
      );
      while (((engineAgent.stats[baseUrl] as { free?: number } | undefined)?.free ?? 0) < 1) {
        await setImmediate();
      }
      await expect(
        runTask({ task: TASK, prompt: 'p' }, taskContext(baseUrl)),
      ).rejects.toMatchObject({ reason: 'engine_unreachable' });
      expect(requests).toEqual(['GET /health', 'POST /v1/videos']);
    } finally {
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });

  it('fails at once, naming the mode, on plain vLLM', async () => {
    mock = await startTestMockVllm();
    const context = {
      ...mock.context(),
      engine: { ...mock.context().engine, mode: 'vllm' as const },
    };
    await expect(runTask({ task: TASK, prompt: 'p' }, context)).rejects.toThrow(
      /^fal\/text-to-video needs vLLM-Omni \(vllm serve --omni\), but this worker runs plain vLLM/,
    );
    expect(mock.received).toEqual([]);
  });

  it.each([
    [{}, 'invalid payload for fal/text-to-video: prompt: required'],
    [{ prompt: '' }, 'invalid payload for fal/text-to-video: prompt: must not be empty'],
    [{ prompt: 'p', num_frames: 2.5 }, /^invalid payload for fal\/text-to-video: num_frames: /],
    [{ prompt: 'p', fps: 0 }, /^invalid payload for fal\/text-to-video: fps: /],
    [{ prompt: 'p', fps: 12.5 }, /^invalid payload for fal\/text-to-video: fps: /],
  ])('rejects the bad payload %j', async (payload, message) => {
    mock = await startTestMockVllm({ omni: true });
    await expect(runTask({ task: TASK, ...payload }, mock.context())).rejects.toThrow(message);
    expect(mock.received).toEqual([]);
  });
});
