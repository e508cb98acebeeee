/**
 * The REST surface of the reference queue (protocol.md): a table from method and path to
 * handler. Unknown paths answer 404 and known paths with another method 405, both in the
 * `{"detail": ...}` shape.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { decodePathSegment, sendDetail } from './http.ts';
import { speech, transcriptions } from './rest-audio.ts';
import type { RestDeps } from './rest-io.ts';
import { createJob, getJob, health } from './rest-jobs.ts';
import { chatCompletions, embeddings, imageGenerations, models } from './rest-openai.ts';

type Handler = (
  deps: RestDeps,
  request: IncomingMessage,
  response: ServerResponse,
) => void | Promise<void>;

const ROUTES = new Map<string, Partial<Record<string, Handler>>>(
  Object.entries({
    '/health': { GET: (deps, _request, response) => health(deps, response) },
    '/v1/models': { GET: (deps, _request, response) => models(deps, response) },
    '/v1/chat/completions': { POST: chatCompletions },
    '/v1/embeddings': { POST: embeddings },
    '/v1/audio/speech': { POST: speech },
    '/v1/audio/transcriptions': { POST: transcriptions },
    '/v1/images/generations': { POST: imageGenerations },
    '/jobs': { POST: createJob },
  } satisfies Record<string, Partial<Record<string, Handler>>>),
);

const JOB_PATH = /^\/jobs\/([^/]+)$/;

export async function handleRest(
  deps: RestDeps,
  request: IncomingMessage,
  response: ServerResponse,
  path: string,
): Promise<void> {
  const method = request.method ?? 'GET';
  const job = JOB_PATH.exec(path);
  if (job !== null) {
    if (method === 'GET') getJob(deps, response, decodePathSegment(job[1]!));
    else sendDetail(response, 405, 'Method Not Allowed');
    return;
  }
  const route = ROUTES.get(path);
  if (route === undefined) {
    sendDetail(response, 404, 'Not Found');
    return;
  }
  const handler = route[method];
  if (handler === undefined) sendDetail(response, 405, 'Method Not Allowed');
  else await handler(deps, request, response);
}
