import { connect } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { createActor, createMachine } from 'xstate';
import {
  closeHttp,
  createHttpApp,
  type HttpApp,
  listenHttp,
  sendBody,
} from '../../../src/net/http-server.ts';
import { createStatusServer } from '../../../src/status/server.ts';
import { startTestMockVllm, type TestMockVllm } from '../../support/mock-vllm.ts';
import { useQueueHarness } from '../../support/queue-harness.ts';

/** Everything the server writes back to `request` before it closes the connection. */
function rawExchange(port: number, request: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => socket.write(request));
    let received = '';
    socket.setEncoding('latin1');
    socket.on('data', (chunk: string) => {
      received += chunk;
    });
    socket.on('error', reject);
    socket.on('close', () => resolve(received));
  });
}

const NODE_400 = 'HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n';

const harness = useQueueHarness();
let app: HttpApp | undefined;
let mock: TestMockVllm | undefined;
afterEach(async () => {
  if (app) await closeHttp(app);
  await mock?.close();
  app = undefined;
  mock = undefined;
});

describe("a request Node cannot parse gets Node's own bare answer", () => {
  it('answers a malformed request line 400 with Connection: close and no body', async () => {
    app = createHttpApp();
    const port = await listenHttp(app, '127.0.0.1', 0);
    expect(await rawExchange(port, 'NOT A REQUEST\r\n\r\n')).toBe(NODE_400);
  });

  it('answers headers over the limit 431', async () => {
    app = createHttpApp({ server: { maxHeaderSize: 1024 } });
    const port = await listenHttp(app, '127.0.0.1', 0);
    const request = `GET / HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(2048)}\r\n\r\n`;
    expect(await rawExchange(port, request)).toBe(
      'HTTP/1.1 431 Request Header Fields Too Large\r\nConnection: close\r\n\r\n',
    );
  });

  it('does so on the local queue, the mock vLLM and the status server', async () => {
    const queue = await harness.start();
    const queuePort = Number(new URL(queue.httpUrl).port);
    expect(await rawExchange(queuePort, 'NOT A REQUEST\r\n\r\n')).toBe(NODE_400);
    mock = await startTestMockVllm();
    expect(await rawExchange(mock.port, 'NOT A REQUEST\r\n\r\n')).toBe(NODE_400);
    const status = createStatusServer({ port: 0, host: '127.0.0.1' });
    const root = createActor(createMachine({})).start();
    try {
      const statusPort = Number(new URL((await status.listen(root))!).port);
      expect(await rawExchange(statusPort, 'NOT A REQUEST\r\n\r\n')).toBe(NODE_400);
    } finally {
      await status.close();
      root.stop();
    }
  });

  it('writes nothing into a response whose headers are out: a pipelined bad request ends it', async () => {
    app = createHttpApp();
    app.get('/stream', async (_request, reply) => {
      reply.raw.writeHead(200, { 'content-type': 'text/event-stream' });
      reply.raw.write('data: a\n\n');
      return reply;
    });
    const port = await listenHttp(app, '127.0.0.1', 0);
    const received = await new Promise<string>((resolve, reject) => {
      const socket = connect(port, '127.0.0.1', () =>
        socket.write('GET /stream HTTP/1.1\r\nHost: x\r\n\r\n'),
      );
      let answer = '';
      socket.setEncoding('latin1');
      socket.on('data', (chunk: string) => {
        // Once the stream has begun, a request Node cannot parse follows on the same connection.
        if (answer === '') socket.write('NOT A REQUEST\r\n\r\n');
        answer += chunk;
      });
      socket.on('error', reject);
      socket.on('close', () => resolve(answer));
    });
    expect(received).toMatch(/^HTTP\/1\.1 200 OK\r\n/);
    expect(received).not.toContain('400');
  });
});

describe('sendBody', () => {
  it('does nothing once a streamed response has sent its headers, and the stream goes on', async () => {
    app = createHttpApp();
    const failures: unknown[] = [];
    app.get('/stream', async (_request, reply) => {
      reply.raw.writeHead(200, { 'content-type': 'text/event-stream' });
      reply.raw.write('data: a\n\n');
      try {
        sendBody(reply, 500, { 'content-type': 'application/json' }, '{"detail":"failed"}');
      } catch (error) {
        failures.push(error);
      }
      reply.raw.end('data: b\n\n');
      return reply;
    });
    const port = await listenHttp(app, '127.0.0.1', 0);
    const response = await fetch(`http://127.0.0.1:${port}/stream`);
    expect([response.status, await response.text()]).toEqual([200, 'data: a\n\ndata: b\n\n']);
    expect(failures).toEqual([]);
  });
});
