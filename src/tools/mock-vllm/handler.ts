/**
 * One HTTP request, end to end: read and parse the body, tell the listeners, route, wait
 * out the response delay, answer, and log the access line. Inference requests count as
 * running from arrival until answered or closed by the client. Only the routes of the mode
 * are served: plain vLLM's, or vLLM-Omni's (`--omni`) which add speech and video.
 */
import { type IncomingMessage, type ServerResponse, STATUS_CODES } from 'node:http';
import {
  type HttpApp,
  type HttpReply,
  type HttpRequest,
  readBody,
  routeMethods,
  sendBody,
} from '../../net/http-server.ts';
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
import { type MockRequest, parseBody } from './request.ts';
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

function inferenceRoutes(state: MockState): Record<string, Inference> {
  return state.options.omni ? OMNI_INFERENCE : VLLM_INFERENCE;
}

/** The model the request names, when it names one (JSON `model` or the multipart field). */
function requestedModel(request: MockRequest): unknown {
  const body = request.body;
  if (typeof body === 'object' && body !== null && 'model' in body) return body.model;
  return request.fields?.model;
}

function send(state: MockState, reply: HttpReply, answer: MockReply): void {
  if (reply.raw.destroyed) return;
  sendBody(reply, answer.status, { 'content-type': answer.contentType }, answer.body);
  if (state.options.disableAccessLog) return;
  const req = reply.request.raw;
  const client = `${req.socket.remoteAddress}:${req.socket.remotePort}`;
  const line = `"${req.method} ${req.url} HTTP/${req.httpVersion}"`;
  state.log.uvicorn(`${client} - ${line} ${answer.status} ${STATUS_CODES[answer.status] ?? ''}`);
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

/** What a route answers once the request is read: an inference, or a reply. */
type Route = (
  request: MockRequest,
  state: MockState,
) => 'inference' | MockReply | Promise<MockReply>;

const INFERENCE: Route = () => 'inference';
const METHOD_NOT_ALLOWED: Route = () => jsonReply({ detail: 'Method Not Allowed' }, 405);

/** A Fastify handler answering with `route`, on the state `current` gives when a request comes. */
function routeTo(current: () => MockState, route: Route) {
  return (request: HttpRequest, reply: HttpReply) =>
    void handleRequest(current(), request, reply, route);
}

/**
 * The API port's route table on `app`: the routes of its mode (`omni`), vLLM's 405 and 404
 * around them, and the /mock control routes too (tests that start the mock ready use the one
 * port). Registered before listening; `current` gives the state once requests come.
 */
export function registerRoutes(app: HttpApp, omni: boolean, current: () => MockState): void {
  const on = (route: Route) => routeTo(current, route);
  const notAllowed = on(METHOD_NOT_ALLOWED);
  const videoJob = on((r, s) => videoJobRoute(s, r.method, r.path));
  for (const path of Object.keys(omni ? OMNI_INFERENCE : VLLM_INFERENCE)) {
    // Starlette tries the next route when only the method differs: GET /v1/videos/sync is
    // the video job `sync` (vllm_omni/entrypoints/openai/api_server.py routes both).
    const otherwise = path === '/v1/videos/sync' ? videoJob : notAllowed;
    routeMethods(app, path, { POST: on(INFERENCE) }, otherwise);
  }
  for (const [path, get] of Object.entries(GETS)) {
    routeMethods(app, path, { GET: on((_, s) => get(s)) }, notAllowed);
  }
  if (omni) {
    app.all('/v1/videos/:id', videoJob);
    app.all('/v1/videos/:id/content', videoJob);
  }
  registerControlRoutes(app, current);
}

/**
 * The /mock control routes and vLLM's 404 for any other path: the whole table of the control
 * port, which listens from the start while the API port refuses connections until loaded.
 */
export function registerControlRoutes(app: HttpApp, current: () => MockState): void {
  app.all(
    '/mock/*',
    routeTo(current, (r, s) => control(s, r.method, r.path, r.body)),
  );
  app.setNotFoundHandler(notFound(current));
}

/**
 * vLLM's answer to a path no route has, and to one that is no URL path (`/v1/%zz`): uvicorn
 * routes the percent-decoded path (`urllib.parse.unquote`, which keeps a broken escape as it
 * is), so it too finds no route: 404 `{"detail":"Not Found"}`.
 */
export function notFound(current: () => MockState) {
  return (request: HttpRequest, reply: HttpReply) =>
    void handleRequest(current(), request, reply, notFoundReply);
}

/** The request with its body parsed; in instant mode only when someone listens. */
async function receive(state: MockState, req: IncomingMessage): Promise<MockRequest | MockReply> {
  const read = await readBody(req);
  if (!read.ok) throw new Error('the request body could not be read');
  const raw = read.body;
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

async function handleRequest(
  state: MockState,
  { raw: req }: HttpRequest,
  reply: HttpReply,
  route: Route,
): Promise<void> {
  const closed = new AbortController();
  let request: MockRequest | undefined;
  reply.raw.on('close', () => {
    if (reply.raw.writableFinished) return;
    closed.abort();
    if (request === undefined) return;
    recordAborted(state, request);
    state.events.emit('aborted', request);
  });
  const got = await receive(state, req).catch(() => undefined);
  if (got === undefined) return void reply.hijack();
  if ('status' in got) return send(state, reply, got);
  request = got;
  state.events.emit('request', request);
  // vLLM's AuthenticationMiddleware runs before routing; the mock's own /mock routes are not vLLM's.
  if (!request.path.startsWith('/mock/') && !authorized(state, request)) {
    return send(state, reply, unauthorizedReply());
  }
  const routed = await route(request, state);
  if (routed !== 'inference') return send(state, reply, routed);
  if (startInference(state, reply.raw)) return void reply.hijack();
  const answer = await infer(state, request, closed.signal);
  if (closed.signal.aborted) return void reply.hijack();
  if (answer.status < 300) state.succeeded += 1;
  send(state, reply, answer);
}
