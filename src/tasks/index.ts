/**
 * `runTask`: routes a job's payload by `payload.task` to one of the seven tasks, runs it
 * against vLLM, and wraps its fields in the success envelope every result carries.
 */
import type { EngineMode } from '../engine/command.ts';
import { TaskError } from '../errors.ts';
import { audioSpeechTask } from './audio-speech.ts';
import { audioTranscriptionTask } from './audio-transcription.ts';
import { chatCompletionTask } from './chat-completion.ts';
import { embeddingsTask } from './embeddings.ts';
import { imageToVideoTask } from './image-to-video.ts';
import { speechToVideoTask } from './speech-to-video.ts';
import { parsePayload, type TaskContext, type TaskDefinition, type TaskFields } from './task.ts';
import { textToVideoTask } from './text-to-video.ts';

export type { EngineEndpoint, TaskContext } from './task.ts';

/** A task's result: the envelope worker.md fixes, then the task's own fields. */
export type TaskResult = {
  status: 'success';
  config_id: string;
  task: string;
  /** ISO 8601 time the result was made. */
  processed_at: string;
} & TaskFields;

const TASKS: ReadonlyMap<string, TaskDefinition> = new Map(
  [
    chatCompletionTask,
    embeddingsTask,
    audioSpeechTask,
    audioTranscriptionTask,
    textToVideoTask,
    imageToVideoTask,
    speechToVideoTask,
  ].map((task) => [task.name, task]),
);

/** The seven tasks' names, as payloads name them. */
export const TASK_NAMES: readonly string[] = [...TASKS.keys()];

/** The `task` a payload names, if any. */
function namedTask(payload: unknown): unknown {
  const named =
    typeof payload === 'object' && payload !== null && 'task' in payload ? payload.task : undefined;
  return named === null || named === '' ? undefined : named;
}

/** The task a payload names: an empty or missing `task` means chat completion. */
function taskOf(payload: unknown, configId: string): TaskDefinition {
  const named = namedTask(payload);
  if (named === undefined) return chatCompletionTask;
  const task = typeof named === 'string' ? TASKS.get(named) : undefined;
  if (task === undefined) {
    throw new TaskError(
      'unsupported_task',
      `Unsupported task: '${String(named)}' (config_id=${configId})`,
    );
  }
  return task;
}

/**
 * The payload as its task takes it. A payload that names no task runs as a chat completion, so
 * a video payload that forgot its `task` would fail as "messages: required": say what happened.
 */
function parsePayloadNamingTasks(task: TaskDefinition, payload: unknown) {
  try {
    return parsePayload(task.name, task.schema, payload);
  } catch (error) {
    if (namedTask(payload) !== undefined || !(error instanceof TaskError)) throw error;
    const hint = `the payload names no task, so it ran as ${task.name}; set "task" to one of ${TASK_NAMES.join(', ')}`;
    throw new TaskError('invalid_payload', `${error.message} (${hint})`, { cause: error });
  }
}

/** Whether an engine in `mode` serves `task`: speech and video need vLLM-Omni. */
function servedBy(task: TaskDefinition, mode: EngineMode): boolean {
  return task.needs === undefined || task.needs === mode;
}

/** Runs the payload's task; throws a TaskError (see its `reason`) when there is no result. */
export async function runTask(payload: unknown, ctx: TaskContext): Promise<TaskResult> {
  const task = taskOf(payload, ctx.configId);
  if (!servedBy(task, ctx.engine.mode)) {
    throw new TaskError(
      'unsupported_task',
      `${task.name} needs vLLM-Omni (vllm serve --omni), but this worker runs plain vLLM ` +
        `(config_id=${ctx.configId}): serve it from the vLLM-Omni image (VLLM_SERVE_COMMAND=vllm-omni) or set VLLM_OMNI=true`,
    );
  }
  const input = parsePayloadNamingTasks(task, payload);
  const fields = await task.run(input, ctx);
  return {
    status: 'success',
    config_id: ctx.configId,
    task: task.name,
    processed_at: new Date().toISOString(),
    ...fields,
  };
}
