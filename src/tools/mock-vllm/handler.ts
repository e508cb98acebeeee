/**
 * One HTTP request, end to end: read and parse the body, tell the listeners, route, wait
 * out the response delay, answer, and log the access line. Inference requests count as
 * running from arrival until answered or closed by the client. Only the routes of the mode
 * are served: plain vLLM's, or vLLM-Omni's (`--omni`) which add speech and video.
 */
import { type IncomingMessage, type ServerResponse, STATUS_CODES } from 'node:http';
import { speech, transcription } from './endpoints/audio.ts';
import { chatCompletion } from './endpoints/chat.ts';
import { embeddings } from './endpoints/embeddings.ts';
import { createVideo, createVideoSync, videoJobRoute } from './endpoints/videos.ts';
import {
  errorReply,
  jsonReply,
  type MockReply,
  notFoundReply,
  unauthorizedReply,
} from './replies.ts';
import { type MockRequest, parseBody, readRaw } from './request.ts';
import { control, health, metrics, models } from './routes.ts';
import { hold, type MockState, recordAborted } from './state.ts';

type Inference = (request: MockRequest, state: MockState) => MockReply;

/** Plain vLLM's inference routes (vllm/entrypoints/openai/api_server.py). */
const VLLM_INFERENCE: Record<string, Inference> = {
  '/v1/chat/completions': (r, s) => chatCompletion(r.body, s.options.servedModelName),
  '/v1/embeddings': (r, s) =>
    embeddings(r.body, s.options.servedModelName, s.options.embeddingDimensions),
  '/v1/audio/transcriptions': (r) => transcription(r.fields),
};

/** What vLLM-Omni adds (vllm_omni/entrypoints/openai/api_server.py). */
const OMNI_INFERENCE: Record<string, Inference> = {
  ...VLLM_INFERENCE,
  '/v1/audio/speech': (r) => speech(r.body),
  '/v1/videos/sync': (r) => createVideoSync(r.fields),
  '/v1/videos': (r, s) =>
    createVideo(s, r.fields, hold(s, s.options.responseDelayMs, new AbortController().signal)),
};

const GETS: Record<string, (state: MockState) => MockReply | Promise<MockReply>> = {
  '/health': health,
  '/metrics': metrics,
  '/v1/models': models,
};

const VIDEO_JOB = /^\/v1\/videos\/[^/]+(\/content)?$/;

function inferenceRoutes(state: MockState): Record<string, Inference> {
  return state.options.omni ? OMNI_INFERENCE : VLLM_INFERENCE;
}

/** The model the request names, when it names one (JSON `model` or the multipart field). */
function requestedModel(request: MockRequest): unknown {
  const body = request.body;
  if (typeof body === 'object' && body !== null && 'model' in body) return body.model;
  return request.fields?.model;
}

function send(state: MockState, req: IncomingMessage, res: ServerResponse, reply: MockReply) {
  if (res.destroyed) return;
  res.writeHead(reply.status, { 'content-type': reply.contentType });
  res.end(reply.body);
  if (state.options.disableAccessLog) return;
  const client = `${req.socket.remoteAddress}:${req.socket.remotePort}`;
  const line = `"${req.method} ${req.url} HTTP/${req.httpVersion}"`;
  state.log.uvicorn(`${client} - ${line} ${reply.status} ${STATUS_CODES[reply.status] ?? ''}`);
}

async function infer(state: MockState, request: MockRequest, closed: AbortSignal) {
  const instant = state.instantReplies?.[request.path];
  if (instant) return instant;
  const model = requestedModel(request);
  if (model !== undefined && model !== state.options.servedModelName) {
    // vLLM's serving_engine.py `_check_model`, logged by the serving as one bad request.
    const message = `The model \`${String(model)}\` does not exist.`;
    const info = `message='${message}', type='NotFoundError', param='model', code=404`;
    state.log.error('serving_chat.py:214', `Error with model error=ErrorInfo(${info})`);
    return errorReply(404, message, 'model');
  }
  const reply = inferenceRoutes(state)[request.path]!(request, state);
  // A video job waits out the delay as a job, not as its creation request.
  if (request.path !== '/v1/videos') await hold(state, state.options.responseDelayMs, closed);
  return reply;
}

/** vLLM's AuthenticationMiddleware guards every path under /v1 when a key is set. */
function authorized(state: MockState, request: MockRequest): boolean {
  const key = state.options.apiKey;
  if (key === undefined || !request.path.startsWith('/v1')) return true;
  return request.headers.authorization === `Bearer ${key}`;
}

function route(
  request: MockRequest,
  state: MockState,
): 'inference' | MockReply | Promise<MockReply> {
  const { method, path } = request;
  if (path.startsWith('/mock/')) return control(state, method, path, request.body);
  if (!authorized(state, request)) return unauthorizedReply();
  const inference = inferenceRoutes(state);
  if (method === 'POST' && path in inference) return 'inference';
  if (state.options.omni && VIDEO_JOB.test(path)) return videoJobRoute(state, method, path);
  const get = GETS[path];
  if (method === 'GET' && get) return get(state);
  if (path in inference || get) return jsonReply({ detail: 'Method Not Allowed' }, 405);
  return notFoundReply();
}

/** The request with its body parsed; in instant mode only when someone listens. */
async function receive(state: MockState, req: IncomingMessage): Promise<MockRequest | MockReply> {
  const raw = await readRaw(req);
  const skip = state.instantReplies !== undefined && state.events.listenerCount('request') === 0;
  const parsed = skip ? {} : await parseBody(raw, req.headers['content-type']);
  if ('error' in parsed) return errorReply(400, parsed.error);
  const [path = '/'] = (req.url ?? '/').split('?');
  state.received += 1;
  return { id: state.received, method: req.method ?? 'GET', path, headers: req.headers, ...parsed };
}

/** Counts the request as running until its connection closes; true when the mock crashes on it. */
function startInference(state: MockState, res: ServerResponse): boolean {
  state.inferences += 1;
  state.running += 1;
  res.once('close', () => {
    state.running -= 1;
  });
  if (state.inferences !== state.options.crashOnRequest) return false;
  const why = `mock-vllm --crash-on-request ${state.inferences}`;
  state.log.error('core_client.py:564', `Engine core proc EngineCore_0 died unexpectedly (${why})`);
  state.lifecycle.exit();
  return true;
}

/**
 * vLLM binds its port before the model loads but listens only once it has (vLLM 0.11.0,
 * vllm/entrypoints/openai/api_server.py, `create_server_socket` then `serve_http`): nothing
 * answers meanwhile. The mock closes such a connection without a byte; only its own /mock
 * control surface answers.
 */
function portClosed(state: MockState, req: IncomingMessage): boolean {
  return state.lifecycle.phase() === 'starting' && !(req.url ?? '').startsWith('/mock/');
}

export async function handleRequest(state: MockState, req: IncomingMessage, res: ServerResponse) {
  if (portClosed(state, req)) return void req.socket.destroy();
  const closed = new AbortController();
  let request: MockRequest | undefined;
  res.on('close', () => {
    if (res.writableFinished) return;
    closed.abort();
    if (request === undefined) return;
    recordAborted(state, request);
    state.events.emit('aborted', request);
  });
  const got = await receive(state, req).catch(() => undefined);
  if (got === undefined) return;
  if ('status' in got) return send(state, req, res, got);
  request = got;
  state.events.emit('request', request);
  const routed = await route(request, state);
  if (routed !== 'inference') return send(state, req, res, routed);
  if (startInference(state, res)) return;
  const reply = await infer(state, request, closed.signal);
  if (closed.signal.aborted) return;
  if (reply.status < 300) state.succeeded += 1;
  send(state, req, res, reply);
}
