/**
 * Small HTTP helpers for the queue's own server: bounded bodies, JSON answers in the
 * reference queue's `{"detail": ...}` error shape, and responses held open on purpose.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';

export type BodyRead = { ok: true; body: Buffer } | { ok: false; status: 413 | 400 };

/** Reads a request body of at most `limitBytes`; never throws. */
export async function readBody(request: IncomingMessage, limitBytes: number): Promise<BodyRead> {
  const chunks: Buffer[] = [];
  let size = 0;
  try {
    for await (const chunk of request as AsyncIterable<Buffer>) {
      size += chunk.length;
      if (size > limitBytes) return { ok: false, status: 413 };
      chunks.push(chunk);
    }
  } catch {
    return { ok: false, status: 400 };
  }
  return { ok: true, body: Buffer.concat(chunks) };
}

export function sendJson(response: ServerResponse, status: number, body: unknown): void {
  if (response.headersSent) return;
  const text = JSON.stringify(body);
  response.writeHead(status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(text),
  });
  response.end(text);
}

/** `{"detail": message}`, the reference queue's error body. */
export function sendDetail(response: ServerResponse, status: number, detail: string): void {
  sendJson(response, status, { detail });
}

export function sendBytes(
  response: ServerResponse,
  status: number,
  contentType: string,
  body: Buffer | string,
): void {
  if (response.headersSent) return;
  response.writeHead(status, {
    'content-type': contentType,
    'content-length': Buffer.byteLength(body),
  });
  response.end(body);
}

/** A percent-encoded path segment, or the raw text when its encoding is broken. */
export function decodePathSegment(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}

/** Responses a fault left hanging: answered 503 when the queue closes, so nothing leaks. */
export class HeldResponses {
  readonly #held = new Set<ServerResponse>();

  hold(response: ServerResponse): void {
    this.#held.add(response);
    response.on('close', () => this.#held.delete(response));
  }

  releaseAll(): void {
    for (const response of this.#held) sendDetail(response, 503, 'the local queue is closing');
    this.#held.clear();
  }
}
