/**
 * What an endpoint answers, as data: the server writes it. Errors have vLLM's shapes
 * (vllm/entrypoints/openai/server_utils.py and engine/protocol.py, vLLM 0.11.0 and later):
 * `{error: {message, type, param, code}}` (ErrorResponse, validation errors included, 400),
 * `{error: "Unauthorized"}` from the api-key middleware, and FastAPI's `{detail}` for a
 * route or method the server does not have.
 */
import type { z } from 'zod';

export type MockReply = {
  status: number;
  contentType: string;
  body: string | Buffer;
};

const ERROR_TYPES: Record<number, string> = {
  400: 'BadRequestError',
  404: 'NotFoundError',
  500: 'InternalServerError',
  503: 'ServiceUnavailableError',
};

export function jsonReply(body: unknown, status = 200): MockReply {
  return { status, contentType: 'application/json', body: JSON.stringify(body) };
}

export function errorReply(
  status: number,
  message: string,
  param: string | null = null,
): MockReply {
  const type = ERROR_TYPES[status] ?? 'BadRequestError';
  return jsonReply({ error: { message, type, param, code: status } }, status);
}

/** vLLM's AuthenticationMiddleware: a /v1 request without the right bearer token. */
export function unauthorizedReply(): MockReply {
  return jsonReply({ error: 'Unauthorized' }, 401);
}

/** FastAPI's answer for a route it does not have. */
export function notFoundReply(): MockReply {
  return jsonReply({ detail: 'Not Found' }, 404);
}

/** `messages: Field required; max_tokens: ...`, in the spirit of vLLM's pydantic errors. */
export function validationReply(error: z.ZodError): MockReply {
  const details = error.issues.map((issue) => {
    const path = issue.path.length > 0 ? issue.path.join('.') : 'body';
    const missing = issue.code === 'invalid_type' && issue.message.endsWith('undefined');
    return `${path}: ${missing ? 'Field required' : issue.message}`;
  });
  return errorReply(400, details.join('; '));
}
