/**
 * Floor 2: the least a worker that calls vLLM can do. Floor 1 plus, per job, one POST
 * /v1/chat/completions (undici, one pooled keep-alive agent) with the job's messages to an
 * engine that answers at once; the engine's answer, unread, becomes the job's result. No
 * validation, no state. In `abort` mode it answers nothing and aborts a job's request when
 * its job_revoked arrives (undici then closes the connection, as the worker does).
 *
 * node test/bench/clients/floor-engine.ts --url ws://... --worker-id f --config-id c --capacity 8
 *   --mode answer --engine-url http://127.0.0.1:PORT --model default
 */
import { Agent, request } from 'undici';
import { argument, connectFloor, serveControl } from './control.ts';

const abortMode = argument('mode') === 'abort';
const engine = new URL('/v1/chat/completions', argument('engine-url'));
const model = argument('model');
/** As the worker's pool for vLLM: keep-alive, no undici timeouts. */
const agent = new Agent({ keepAliveTimeout: 60_000, headersTimeout: 0, bodyTimeout: 0 });
/** abort mode only: each running job's request, by job id. */
const running = new Map<string, AbortController>();

const ws = connectFloor();

async function complete(messages: unknown, signal: AbortSignal | undefined): Promise<string> {
  const body = JSON.stringify({ model, messages, temperature: 0.7, top_p: 1, stream: false });
  const response = await request(engine, {
    dispatcher: agent,
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body,
    ...(signal ? { signal } : {}),
  });
  return response.body.text();
}

type Frame = {
  type: string;
  job_id: string;
  fence_token?: number;
  payload?: { messages?: unknown };
};

ws.on('message', (data) => {
  const frame = JSON.parse(data.toString()) as Frame;
  if (frame.type === 'job_revoked') {
    running.get(frame.job_id)?.abort();
    return;
  }
  if (frame.type !== 'job') return;
  const id = JSON.stringify(frame.job_id);
  const abort = abortMode ? new AbortController() : undefined;
  if (abort) running.set(frame.job_id, abort);
  complete(frame.payload?.messages, abort?.signal).then(
    (answer) => {
      const fence = frame.fence_token ?? 0;
      ws.send(`{"type":"job_result","job_id":${id},"result":${answer},"fence_token":${fence}}`);
    },
    () => running.delete(frame.job_id),
  );
});

void serveControl({
  pause: () => ws.send('{"type":"pause"}'),
  resume: () => ws.send('{"type":"resume"}'),
});
