/**
 * Pushes a batch of jobs through the local queue's createJob and times them from the queue's
 * side: jobs/s for the batch, and each job's latency from dispatch to accepted outcome, taken
 * with performance.now() as the queue records the events.
 */
import type { JobMode, JsonValue } from '../../src/protocol/index.ts';
import type { LocalQueue } from '../../src/tools/queue/index.ts';

export type BatchRequest = {
  count: number;
  mode: JobMode;
  payload: JsonValue;
  /** The client's config id: the queue routes the jobs to it alone. */
  configId: string;
};

export type Batch = { jobsPerS: number; latenciesMs: number[] };

export async function runBatch(queue: LocalQueue, request: BatchRequest): Promise<Batch> {
  const dispatchedAt = new Map<string, number>();
  const latenciesMs: number[] = [];
  const unsubscribe = queue.events.subscribe((event) => {
    if (event.kind === 'job_dispatched') dispatchedAt.set(event.jobId, performance.now());
    else if (event.kind === 'outcome_accepted') {
      const start = dispatchedAt.get(event.jobId);
      if (start !== undefined) latenciesMs.push(performance.now() - start);
    }
  });
  const started = performance.now();
  const outcomes = [];
  for (let i = 0; i < request.count; i += 1) {
    const { outcome } = queue.createJob({
      payload: request.payload,
      mode: request.mode,
      config_id: request.configId,
    });
    outcomes.push(outcome);
  }
  const settled = await Promise.all(outcomes);
  const seconds = (performance.now() - started) / 1000;
  unsubscribe();
  const failed = settled.find((outcome) => outcome.status !== 'completed');
  if (failed !== undefined)
    throw new Error(`a bench job did not complete: ${JSON.stringify(failed)}`);
  return { jobsPerS: request.count / seconds, latenciesMs };
}

/** A payload whose JSON is about `bytes` long. */
export function payloadOf(bytes: number): JsonValue {
  return { text: 'x'.repeat(Math.max(0, bytes - 11)) };
}

/**
 * A chat completion job (the full worker's task) whose JSON is about `bytes` long: one user
 * message of that much text.
 */
export function chatPayloadOf(bytes: number): JsonValue {
  // `{"task":"openai/chat-completion","messages":[{"role":"user","content":"…"}]}` is 75 bytes around the text.
  const text = 'x'.repeat(Math.max(0, bytes - 75));
  return { task: 'openai/chat-completion', messages: [{ role: 'user', content: text }] };
}
