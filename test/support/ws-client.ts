/**
 * A tiny WebSocket client that plays a worker by hand: connect (with headers), register,
 * send frames, and wait for the frames the queue sends. Tests of the local queue and of
 * the worker's peers reuse it.
 */
import { WebSocket } from 'ws';
import {
  encodeWorkerFrame,
  parseQueueFrame,
  type QueueFrame,
  type QueueFrameType,
  type WorkerFrameInput,
} from '../../src/protocol/index.ts';

export type Received = {
  raw: string;
  binary: boolean;
  /** The parsed frame, when the text is a valid queue → worker frame. */
  frame: QueueFrame | undefined;
};

export type FrameOf<T extends QueueFrameType> = Extract<QueueFrame, { type: T }>;

export type ConnectOptions = {
  /** Extra upgrade request headers (e.g. Authorization). */
  headers?: Record<string, string>;
  /** Sent as the first frame when given. */
  register?: { worker_id: string; config_id: string; capacity?: number };
};

const WAIT_MS = 5_000;

export class TestWsClient {
  readonly ws: WebSocket;
  readonly received: Received[] = [];
  /** Frames sent with `send`, in order. */
  readonly sent: WorkerFrameInput[] = [];
  /** Payloads of the pongs that came back. */
  readonly pongs: Buffer[] = [];
  readonly closed: Promise<{ code: number; reason: string }>;
  readonly #waiters = new Set<() => void>();

  private constructor(ws: WebSocket) {
    this.ws = ws;
    this.closed = new Promise((resolve) => {
      ws.on('close', (code, reason) => {
        resolve({ code, reason: reason.toString() });
        this.#wake();
      });
    });
    ws.on('message', (data, binary) => {
      const raw = Buffer.isBuffer(data) ? data.toString('utf8') : String(data);
      const parsed = parseQueueFrame(raw);
      this.received.push({ raw, binary, frame: parsed.ok ? parsed.frame : undefined });
      this.#wake();
    });
    ws.on('pong', (data) => {
      this.pongs.push(data);
      this.#wake();
    });
  }

  /** Connects to `<wsUrl>/ws` (or `wsUrl` itself when it already ends in /ws). */
  static async connect(wsUrl: string, options: ConnectOptions = {}): Promise<TestWsClient> {
    const url = wsUrl.endsWith('/ws') ? wsUrl : `${wsUrl}/ws`;
    const ws = new WebSocket(url, { headers: options.headers ?? {} });
    const client = new TestWsClient(ws);
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
    });
    if (options.register !== undefined) client.send({ type: 'register', ...options.register });
    return client;
  }

  /** The HTTP status an upgrade gets (101 when it succeeds; that socket is closed again). */
  static upgradeStatus(wsUrl: string, headers: Record<string, string> = {}): Promise<number> {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(`${wsUrl}/ws`, { headers });
      ws.once('unexpected-response', (_request, response) => {
        resolve(response.statusCode ?? 0);
        ws.terminate();
      });
      ws.once('open', () => {
        resolve(101);
        ws.close();
      });
      ws.once('error', (error) => reject(error));
    });
  }

  send(frame: WorkerFrameInput): void {
    this.ws.send(encodeWorkerFrame(frame));
    this.sent.push(frame);
  }

  sendRaw(data: string | Buffer): void {
    this.ws.send(data);
  }

  ping(data: string): void {
    this.ws.ping(Buffer.from(data));
  }

  /** Parsed frames received so far, of one type. */
  frames<T extends QueueFrameType>(type: T): FrameOf<T>[] {
    return this.received.flatMap(({ frame }) =>
      frame?.type === type ? [frame as FrameOf<T>] : [],
    );
  }

  /** The first frame of this type (received or to come) that matches. */
  async waitForFrame<T extends QueueFrameType>(
    type: T,
    predicate: (frame: FrameOf<T>) => boolean = () => true,
    timeoutMs = WAIT_MS,
  ): Promise<FrameOf<T>> {
    const found = await this.waitFor(
      (received) => received.frame?.type === type && predicate(received.frame as FrameOf<T>),
      timeoutMs,
    );
    return found.frame as FrameOf<T>;
  }

  /** The first received message (parsed or not) that matches. */
  waitFor(predicate: (received: Received) => boolean, timeoutMs = WAIT_MS): Promise<Received> {
    return this.#until(() => this.received.find(predicate), timeoutMs, 'a matching frame');
  }

  /** Resolves once `count` pongs came back. */
  waitForPongs(count: number, timeoutMs = WAIT_MS): Promise<Buffer[]> {
    return this.#until(
      () => (this.pongs.length >= count ? this.pongs : undefined),
      timeoutMs,
      `${count} pongs`,
    );
  }

  async close(): Promise<void> {
    if (this.ws.readyState === WebSocket.CLOSED) return;
    this.ws.close();
    await this.closed;
  }

  #until<T>(probe: () => T | undefined, timeoutMs: number, what: string): Promise<T> {
    const now = probe();
    if (now !== undefined) return Promise.resolve(now);
    return new Promise((resolve, reject) => {
      const check = () => {
        const value = probe();
        if (value === undefined) return;
        this.#waiters.delete(check);
        clearTimeout(timer);
        resolve(value);
      };
      const timer = setTimeout(() => {
        this.#waiters.delete(check);
        const seen = this.received.map((r) => r.frame?.type ?? `raw:${r.raw.slice(0, 40)}`);
        reject(new Error(`waited ${timeoutMs} ms for ${what}; received: ${seen.join(', ')}`));
      }, timeoutMs);
      this.#waiters.add(check);
    });
  }

  #wake(): void {
    for (const waiter of this.#waiters) waiter();
  }
}
