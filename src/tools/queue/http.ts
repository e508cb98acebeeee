/**
 * The queue's replies: JSON answers in the reference queue's `{"detail": ...}` error shape,
 * and responses held open on purpose.
 */
import { type HttpReply, sendBody } from '../../net/http-server.ts';

export function sendJson(reply: HttpReply, status: number, body: unknown): void {
  sendBytes(reply, status, 'application/json', JSON.stringify(body));
}

/** `{"detail": message}`, the reference queue's error body. */
export function sendDetail(reply: HttpReply, status: number, detail: string): void {
  sendJson(reply, status, { detail });
}

export function sendBytes(
  reply: HttpReply,
  status: number,
  contentType: string,
  body: Buffer | string,
): void {
  sendBody(reply, status, { 'content-type': contentType }, body);
}

/** Responses a fault left hanging: answered 503 when the queue closes, so nothing leaks. */
export class HeldResponses {
  readonly #held = new Set<HttpReply>();

  hold(reply: HttpReply): void {
    this.#held.add(reply);
    reply.raw.on('close', () => this.#held.delete(reply));
  }

  releaseAll(): void {
    for (const reply of this.#held) sendDetail(reply, 503, 'the local queue is closing');
    this.#held.clear();
  }
}
