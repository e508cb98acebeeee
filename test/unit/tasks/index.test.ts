import { afterEach, describe, expect, it } from 'vitest';
import { TaskError } from '../../../src/errors.ts';
import { runTask } from '../../../src/tasks/index.ts';
import { requestsReceived, startTestMockVllm, type TestMockVllm } from '../../support/mock-vllm.ts';

let mock: TestMockVllm;
afterEach(() => mock?.close());

const chat = { messages: [{ role: 'user', content: 'hi' }] };

describe('runTask', () => {
  it.each([
    [{ task: 'openai/images' }, "Unsupported task: 'openai/images' (config_id=cfg-test)"],
    [{ task: 42 }, "Unsupported task: '42' (config_id=cfg-test)"],
  ])('refuses the unknown task %j with the message of worker.md', async (payload, message) => {
    mock = await startTestMockVllm();
    const error = await runTask(payload, mock.context()).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(TaskError);
    expect(error).toMatchObject({ message, reason: 'unsupported_task' });
    expect(mock.received).toEqual([]);
  });

  it('treats a payload that is not an object as a chat completion without messages', async () => {
    mock = await startTestMockVllm();
    await expect(runTask(null, mock.context())).rejects.toMatchObject({
      reason: 'invalid_payload',
      message: expect.stringMatching(/^invalid payload for openai\/chat-completion: /),
    });
  });

  it('says that a payload with no task ran as a chat completion, and names the tasks (issue 18)', async () => {
    mock = await startTestMockVllm();
    await expect(runTask({ prompt: 'a fox' }, mock.context())).rejects.toMatchObject({
      reason: 'invalid_payload',
      message:
        'invalid payload for openai/chat-completion: messages: required (the payload names no task, so it ran as openai/chat-completion; set "task" to one of openai/chat-completion, openai/embeddings, openai/audio-speech, openai/audio-transcription, fal/text-to-video, fal/image-to-video, fal/speech-to-video)',
    });
    await expect(runTask({ task: 'fal/text-to-video' }, mock.context())).rejects.toMatchObject({
      message: 'invalid payload for fal/text-to-video: prompt: required',
    });
  });

  it("carries vLLM's status and OpenAI error message when vLLM refuses", async () => {
    mock = await startTestMockVllm();
    const ctx = mock.context();
    const wrongModel = { ...ctx, engine: { ...ctx.engine, model: 'not-served' } };
    await expect(runTask(chat, wrongModel)).rejects.toMatchObject({
      reason: 'engine_error',
      status: 404,
      message:
        'vLLM returned 404 for POST /v1/chat/completions: The model `not-served` does not exist.',
    });
    await expect(runTask({ ...chat, tool_choice: 'required' }, ctx)).rejects.toMatchObject({
      status: 400,
      message:
        'vLLM returned 400 for POST /v1/chat/completions: When using `tool_choice`, `tools` must be set.',
    });
  });

  it('closes the in-flight vLLM request when the job is aborted', async () => {
    mock = await startTestMockVllm({ responseDelayMs: 60_000 });
    const job = new AbortController();
    const outcome = runTask(
      { task: 'openai/embeddings', input: 'x' },
      mock.context(job.signal),
    ).catch((error: unknown) => error);
    await requestsReceived(mock, 1);
    const aborted = mock.nextAborted();
    job.abort(new Error('revoked'));
    expect((await aborted).path).toBe('/v1/embeddings');
    expect(await outcome).toMatchObject({
      reason: 'aborted',
      message: 'job aborted while vLLM was answering POST /v1/embeddings',
    });
  });

  it('says vLLM is unreachable when nothing listens', async () => {
    mock = await startTestMockVllm();
    const ctx = mock.context();
    await mock.close();
    await expect(runTask(chat, ctx)).rejects.toMatchObject({
      reason: 'engine_unreachable',
      message: expect.stringMatching(/^could not reach vLLM at http:\/\/127\.0\.0\.1:\d+ for POST/),
    });
  });
});
