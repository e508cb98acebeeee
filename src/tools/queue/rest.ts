/**
 * The REST surface of the reference queue (protocol.md): a table from path and method to
 * handler. Unknown paths answer 404 and known paths with another method 405, both in the
 * `{"detail": ...}` shape.
 */
import {
  type HttpApp,
  type HttpReply,
  type HttpRequest,
  routeMethods,
} from '../../net/http-server.ts';
import { sendDetail } from './http.ts';
import { speech, transcriptions } from './rest-audio.ts';
import type { Handler, RestDeps } from './rest-io.ts';
import { createJob, getJob, health } from './rest-jobs.ts';
import { chatCompletions, embeddings, imageGenerations, models } from './rest-openai.ts';

const ROUTES: Record<string, Record<string, Handler>> = {
  '/health': { GET: async (deps, _request, reply) => health(deps, reply) },
  '/v1/models': { GET: async (deps, _request, reply) => models(deps, reply) },
  '/v1/chat/completions': { POST: chatCompletions },
  '/v1/embeddings': { POST: embeddings },
  '/v1/audio/speech': { POST: speech },
  '/v1/audio/transcriptions': { POST: transcriptions },
  '/v1/images/generations': { POST: imageGenerations },
  '/jobs': { POST: createJob },
  '/jobs/:jobId': {
    GET: async (deps, request, reply) =>
      getJob(deps, reply, (request.params as { jobId: string }).jobId),
  },
};

/** The REST routes on `app`; what a handler throws goes to the server's error handler (500). */
export function restRoutes(app: HttpApp, deps: RestDeps): void {
  const notAllowed = (_request: HttpRequest, reply: HttpReply) =>
    sendDetail(reply, 405, 'Method Not Allowed');
  for (const [path, methods] of Object.entries(ROUTES)) {
    const handlers = Object.fromEntries(
      Object.entries(methods).map(([method, handler]) => [
        method,
        // Returning the reply tells Fastify the handler answers it (a stream maybe still flowing).
        async (request: HttpRequest, reply: HttpReply) => {
          await handler(deps, request, reply);
          return reply;
        },
      ]),
    );
    routeMethods(app, path, handlers, notAllowed);
  }
}
